"""Dataset checks (vertex_tuning.datasets): every problem found, each with its line number."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.emulator import messages_dataset, sample_dataset
from vertex_tuning import catalogue
from vertex_tuning.datasets import (
    DatasetProblem,
    estimate_tokens,
    truncate_to_tokens,
    validate_dataset_file,
    validate_dataset_lines,
)

FLASH = catalogue.BASE_MODELS["gemini-3.1-flash-lite"]
LEGACY = catalogue.BASE_MODELS["gemini-1.0-pro-002"]
TEXT_ONLY = catalogue.BASE_MODELS["translation-llm-002"]


def turns(*pairs: tuple[str, object]) -> str:
    return json.dumps({"contents": [{"role": role, "parts": parts} for role, parts in pairs]})


def text(value: str) -> list[dict[str, str]]:
    return [{"text": value}]


def problems(lines: list[str], model=FLASH, purpose="training") -> list[DatasetProblem]:
    return validate_dataset_lines(lines, model, purpose).problems


def test_a_valid_dataset_reports_examples_and_tokens():
    report = validate_dataset_lines(sample_dataset(12, system="Be kind.").splitlines(), FLASH, "training")
    assert report.ok and report.example_count == 12 and report.problems == []
    assert report.examples == []  # nothing kept unless asked: memory stays bounded
    kept = validate_dataset_lines(
        sample_dataset(12, system="Be kind.").splitlines(), FLASH, "training", keep_examples=2
    )
    assert len(kept.examples) == 2
    example = kept.examples[0]
    assert example.line == 1 and example.system == "Be kind."
    assert example.exchanges() == [
        ("Question 0: tell me about weather please", "Answer 0: weather is a fine subject.")
    ]
    assert report.total_tokens == 12 * example.tokens > 0
    assert "12 training examples" in report.summary()


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("{oops", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (json.dumps({"contents": []}), "non-empty list"),
        (turns(("user", text("hi"))), "last turn must have role 'model'"),
        (turns(("model", text("hi")), ("user", text("yo"))), "first turn must have role 'user'"),
        (turns(("user", text("a")), ("user", text("b")), ("model", text("c"))), "alternate"),
        (turns(("user", []), ("model", text("c"))), "parts must be a non-empty list"),
        (turns(("user", text("  ")), ("model", text("c"))), "non-empty text"),
        (turns(("system", text("a")), ("model", text("c"))), "role must be 'user' or 'model'"),
        (turns(("user", [{"text": "a", "video": 1}]), ("model", text("c"))), "unknown field 'video'"),
        (
            turns(("user", [{"text": "a", "functionCall": {"name": "f"}}]), ("model", text("c"))),
            "exactly one",
        ),
        (turns(("user", [{"fileData": {"fileUri": "gs://b/x.png"}}]), ("model", text("c"))), "mimeType"),
        (
            turns(
                ("user", [{"fileData": {"mimeType": "image/png", "fileUri": "ftp://x"}}]),
                ("model", text("c")),
            ),
            "gs:// URI or an https:// URL",
        ),
        (json.dumps({"messages": [{"role": "user", "content": "a"}]}), "legacy `messages` format"),
        (json.dumps({"contents": [], "extra": 1}), "unknown field 'extra'"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_each_problem_names_its_line(line, fragment):
    found = problems([sample_dataset(1), "", line])
    assert len(found) == 1
    assert found[0].line == 3 and fragment in found[0].message, found[0]
    assert str(found[0]).startswith("line 3: ")


def test_all_problems_are_reported_not_just_the_first():
    found = problems(["{", "[]", sample_dataset(1), "{}"])
    assert [problem.line for problem in found] == [1, 2, 4]


def test_media_only_where_the_model_takes_it():
    image = {"fileData": {"mimeType": "image/png", "fileUri": "gs://b/cat.png"}}
    with_image = turns(("user", [image, {"text": "what is this"}]), ("model", text("a cat")))
    assert problems([with_image]) == []
    assert "text only" in problems([with_image], TEXT_ONLY)[0].message
    report = validate_dataset_lines([with_image], FLASH, "training", keep_examples=1)
    assert report.examples[0].images == 1 and report.multimodal_examples == 1


def test_the_legacy_messages_format():
    assert validate_dataset_lines(messages_dataset(3).splitlines(), LEGACY, "training").ok
    with_system = json.dumps(
        {
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "u"},
                {"role": "model", "content": "m"},
            ]
        }
    )
    report = validate_dataset_lines([with_system], LEGACY, "training", keep_examples=1)
    assert report.ok and report.examples[0].system == "s"
    assert "`contents` format" in problems(sample_dataset(1).splitlines(), LEGACY)[0].message
    late_system = json.dumps(
        {"messages": [{"role": "user", "content": "u"}, {"role": "system", "content": "s"}]}
    )
    assert "role" in problems([late_system], LEGACY)[0].message


def test_long_examples_are_dropped_and_counted_not_rejected():
    long_answer = " ".join(["word"] * 40_000)
    line = turns(("user", text("q")), ("model", text(long_answer)))
    short = sample_dataset(1).strip()
    pro = catalogue.BASE_MODELS["gemini-1.5-pro-002"]
    report = validate_dataset_lines([short, "", line, line], pro, "training")
    assert report.ok and report.example_count == 1 and report.dropped_count == 2
    assert [(d.index, d.line) for d in report.dropped] == [(2, 3), (3, 4)]
    assert "at most 32000" in report.dropped[0].reason and "2 dropped" in report.summary()
    assert validate_dataset_lines([line], FLASH, "training").dropped == []
    only_long = validate_dataset_lines([line], pro, "training")
    assert not only_long.ok and "every example is left out" in only_long.problems[0].message


def test_an_empty_dataset_is_a_problem():
    assert "holds no examples" in problems(["", "  "])[0].message


def test_files(tmp_path, monkeypatch):
    good = tmp_path / "good.jsonl"
    good.write_text(sample_dataset(5))
    report = validate_dataset_file(good, FLASH, "training")
    assert report.ok and report.size_bytes == good.stat().st_size
    assert (
        "cannot read"
        in validate_dataset_file(tmp_path / "missing.jsonl", FLASH, "training").problems[0].message
    )
    directory = validate_dataset_file(tmp_path, FLASH, "training")
    assert "not a regular file" in directory.problems[0].message
    binary = tmp_path / "data.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "not UTF-8" in validate_dataset_file(binary, FLASH, "training").problems[0].message
    monkeypatch.setattr(catalogue, "MAX_DATASET_BYTES", 10)
    assert "bytes; the limit" in validate_dataset_file(good, FLASH, "training").problems[0].message


def test_token_estimate_and_truncation_agree():
    assert estimate_tokens("") == 0
    assert estimate_tokens("Hello, world!") == 4  # Hello , world !
    assert truncate_to_tokens("Hello, world! Bye.", 2) == "Hello,"
    assert truncate_to_tokens("short", 10) == "short"
    assert estimate_tokens(truncate_to_tokens("one two three four", 3)) == 3


KEYS = [
    "contents",
    "messages",
    "role",
    "parts",
    "text",
    "content",
    "systemInstruction",
    "fileData",
    "mimeType",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(lines=st.lists(st.one_of(st.text(max_size=30), JSON_VALUES.map(json.dumps)), max_size=6))
def test_any_input_gives_a_report_never_an_exception(lines):
    for model in (FLASH, LEGACY, TEXT_ONLY):
        report = validate_dataset_lines(lines, model, "training")
        assert report.ok == (not report.problems)
        assert all(p.line is None or 1 <= p.line <= len(lines) for p in report.problems)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=60) | st.text(max_size=30))
def test_the_fast_token_count_equals_the_regex_count(value):
    assert estimate_tokens(value) == len(re.findall(r"\w+|[^\w\s]", value))
