"""`vertex-tuning prompt` and `vertex-tuning metrics` against a tuned model in the emulator."""

from __future__ import annotations

import json
import struct
import sys

import pytest

from support.emulator import sample_dataset
from vertex_tuning.wire import JobState

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def tuned(emulator) -> dict:
    """A succeeded job with a validation set, so both training and eval metrics exist."""
    emulator.write_object("gs://bucket/train.jsonl", sample_dataset(10))
    emulator.write_object("gs://bucket/validation.jsonl", sample_dataset(4))
    spec = {
        "trainingDatasetUri": "gs://bucket/train.jsonl",
        "validationDatasetUri": "gs://bucket/validation.jsonl",
    }
    job = emulator.create_job(supervisedTuningSpec=spec)
    return emulator.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED")


def test_prompt_prints_the_tuned_models_answer(cli, tuned):
    # The emulator answers with the model turn of the most similar training prompt.
    result = cli("prompt", tuned["tunedModel"]["endpoint"], "Question 3: tell me about chess please")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Answer 3: chess is a fine subject."
    assert "finish reason STOP" in result.stderr


def test_prompt_passes_generation_options(cli, tuned):
    endpoint = tuned["tunedModel"]["endpoint"]
    result = cli(
        "prompt", endpoint, "tell me about chess", "--max-output-tokens", "2", "--temperature", "0",
        "--top-p", "0.5", "--top-k", "3", "--system", "Answer briefly.", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    response = json.loads(result.stdout)
    assert response["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert response["usageMetadata"]["candidatesTokenCount"] == 2


def test_prompt_accepts_a_bare_endpoint_id(cli, tuned):
    endpoint_id = tuned["tunedModel"]["endpoint"].rsplit("/", 1)[-1]

    result = cli("prompt", endpoint_id, "Question 0: tell me about weather please")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "Answer 0: weather is a fine subject."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--temperature", "3"], "temperature"),
        (["--top-p", "1.5"], "top-p"),
        (["--max-output-tokens", "0"], "max-output-tokens"),
    ],
)
def test_prompt_rejects_out_of_range_options_with_exit_code_2(cli, tuned, args, message):
    result = cli("prompt", tuned["tunedModel"]["endpoint"], "hello", *args)

    assert result.exit_code == 2
    assert message in result.output


def test_prompt_rejects_an_empty_prompt(cli, tuned):
    result = cli("prompt", tuned["tunedModel"]["endpoint"], "   ")

    assert result.exit_code == 2
    assert "empty" in result.stderr


def test_metrics_draws_loss_and_accuracy_in_the_terminal(cli, tuned):
    result = cli("metrics", tuned["name"])

    assert result.exit_code == 0, result.output
    for title in ("Loss", "Next-token accuracy", "Final values"):
        assert title in result.stdout
    for series in ("/train_total_loss", "/eval_total_loss", "/train_fraction_of_correct_next_step_preds"):
        assert series in result.stdout


def test_metrics_json_has_every_series_by_step(cli, tuned):
    result = cli("metrics", tuned["name"], "--json")

    series = json.loads(result.stdout)
    assert {"/train_total_loss", "/eval_total_loss"} <= set(series)
    steps = [point["step"] for point in series["/train_total_loss"]]
    assert steps == sorted(steps) and len(steps) > 1


def test_metrics_png_is_a_real_picture(cli, tuned, tmp_path):
    picture = tmp_path / "out.png"

    result = cli("metrics", tuned["name"], "--png", str(picture))

    assert result.exit_code == 0, result.output
    data = picture.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    # The IHDR chunk follows the signature: width and height as big-endian integers.
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (800, 640)  # 8 x 6.4 inches (two panels) at 100 dpi
    assert len(data) > 10_000


def test_metrics_png_into_a_missing_directory_is_bad_input(cli, tuned, tmp_path):
    result = cli("metrics", tuned["name"], "--png", str(tmp_path / "missing" / "out.png"))

    assert result.exit_code == 2
    assert "cannot write" in result.stderr


def test_metrics_of_a_pending_job_exits_1(cli, emulator):
    job = emulator.create_job()
    emulator.admin.stick_job(job["name"], JobState.PENDING)  # however slow the machine is

    result = cli("metrics", job["name"])

    assert result.exit_code == 1
    assert "no metrics yet" in result.stderr


def test_metrics_without_the_charts_extra_shows_tables_and_names_the_extra(cli, tuned, monkeypatch):
    # A None entry in sys.modules makes the import fail as if plotext were not installed.
    monkeypatch.setitem(sys.modules, "plotext", None)

    result = cli("metrics", tuned["name"])

    assert result.exit_code == 0, result.output
    assert "pip install 'pulumi-vertex-tuning[charts]'" in result.stderr
    assert "Points by step" in result.stdout and "Final values" in result.stdout
    assert "/train_total_loss" in result.stdout
    assert "Traceback" not in result.output + result.stderr


def test_a_png_without_the_charts_extra_is_bad_input_naming_the_extra(cli, tuned, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)

    result = cli("metrics", tuned["name"], "--format", "json", "--png", str(tmp_path / "out.png"))

    assert result.exit_code == 2
    assert "pulumi-vertex-tuning[charts]" in result.stderr
