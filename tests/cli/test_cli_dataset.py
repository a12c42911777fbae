"""`vertex-tuning dataset validate`: every problem with its line number, exit codes, token estimate."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from support.emulator import messages_dataset, sample_dataset
from vertex_tuning.cli import app, register_commands

register_commands()
QUICKSTART_DATASET = Path(__file__).parents[2] / "quickstart" / "data" / "train.jsonl"


def validate(*args: str):
    return CliRunner().invoke(app, ["dataset", "validate", *args])


def test_a_valid_dataset_passes_with_its_token_estimate(tmp_path):
    dataset = tmp_path / "train.jsonl"
    dataset.write_text(sample_dataset(12))

    result = validate(str(dataset), "--model", "gemini-3.1-flash-lite")
    report = json.loads(validate(str(dataset), "--model", "gemini-3.1-flash-lite", "--json").stdout)

    assert result.exit_code == 0, result.output
    assert "valid for gemini-3.1-flash-lite" in result.stdout
    assert report["ok"] is True and report["examples"] == 12 and report["problems"] == []
    assert report["estimatedTokens"] > 12 * 10
    assert str(report["estimatedTokens"]) in result.stdout


def test_the_quickstart_dataset_is_valid():
    result = validate(str(QUICKSTART_DATASET), "--model", "gemini-3.1-flash-lite")

    assert result.exit_code == 0, result.output


def test_every_problem_is_reported_with_its_line(tmp_path):
    good = sample_dataset(1)
    lines = [
        good,
        "not json\n",
        json.dumps({"contents": [{"role": "user", "parts": [{"text": "no answer"}]}]}) + "\n",
        good,
        json.dumps({"contents": [{"role": "user", "parts": []}, {"role": "model", "parts": [{"text": "x"}]}]})
        + "\n",
    ]
    dataset = tmp_path / "train.jsonl"
    dataset.write_text("".join(lines))

    result = validate(str(dataset), "--model", "gemini-3.1-flash-lite")
    report = json.loads(validate(str(dataset), "--model", "gemini-3.1-flash-lite", "--json").stdout)

    assert result.exit_code == 2
    assert [problem["line"] for problem in report["problems"]] == [2, 3, 5]
    for line in (2, 3, 5):
        assert f"{dataset}:{line}: " in result.stdout
    assert "3 problem(s)" in result.stdout
    assert report["examples"] == 2


def test_the_format_must_match_the_model(tmp_path):
    dataset = tmp_path / "legacy.jsonl"
    dataset.write_text(messages_dataset(3))

    legacy_model = validate(str(dataset), "--model", "gemini-1.0-pro-002")
    current_model = validate(str(dataset), "--model", "gemini-3.1-flash-lite")

    assert legacy_model.exit_code == 0, legacy_model.output
    assert current_model.exit_code == 2
    assert f"{dataset}:1: " in current_model.stdout


def test_validation_sets_are_checked_as_such(tmp_path):
    dataset = tmp_path / "validation.jsonl"
    dataset.write_text(sample_dataset(3))

    report = json.loads(validate(str(dataset), "--model", "gemini-2.5-pro", "--validation", "--json").stdout)

    assert report["purpose"] == "validation" and report["ok"] is True


def test_unknown_model_and_missing_file_are_bad_input(tmp_path):
    unknown = validate(str(QUICKSTART_DATASET), "--model", "gemini-9-ultra")
    missing = validate(str(tmp_path / "nope.jsonl"), "--model", "gemini-3.1-flash-lite")
    no_model = validate(str(QUICKSTART_DATASET))

    assert unknown.exit_code == 2 and "unknown base model 'gemini-9-ultra'" in unknown.stderr
    assert "gemini-3.1-flash-lite" in unknown.stderr
    assert missing.exit_code == 2 and "cannot read the dataset" in missing.stdout
    assert no_model.exit_code == 2 and "--model" in no_model.output


def test_over_long_examples_are_warnings_with_their_line(tmp_path):
    long_text = "word " * 33_000  # over gemini-1.5-flash-002's 32,000 tokens per example
    too_long = {"contents": [{"role": "user", "parts": [{"text": long_text}]}, sample_dataset_turn()]}
    dataset = tmp_path / "train.jsonl"
    dataset.write_text(sample_dataset(1) + json.dumps(too_long) + "\n" + sample_dataset(1))

    result = validate(str(dataset), "--model", "gemini-1.5-flash-002")
    report = json.loads(validate(str(dataset), "--model", "gemini-1.5-flash-002", "--json").stdout)

    assert result.exit_code == 0, result.output
    assert f"{dataset}:2: warning:" in result.stdout
    assert [dropped["line"] for dropped in report["dropped"]] == [2]


def sample_dataset_turn() -> dict:
    return {"role": "model", "parts": [{"text": "An answer."}]}
