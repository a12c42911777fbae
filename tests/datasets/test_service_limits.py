"""The service's dataset rules, each test citing the limit from the modality and tuning pages."""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support.emulator import sample_dataset, sample_examples
from vertex_tuning import catalogue, datasets
from vertex_tuning.datasets import Distribution, reading, validate_dataset_file, validate_dataset_lines

FLASH = catalogue.BASE_MODELS["gemini-3.1-flash-lite"]
GEMINI_25 = catalogue.BASE_MODELS["gemini-2.5-flash"]  # retired, but its datasets' rules are on record
TRANSLATION = catalogue.BASE_MODELS["translation-llm-002"]


def media(mime: str, uri: str = "gs://b/file", **extra: Any) -> dict[str, Any]:
    return {"fileData": {"mimeType": mime, "fileUri": uri}, **extra}


def example(user_parts: list[dict[str, Any]], **fields: Any) -> str:
    contents = [{"role": "user", "parts": user_parts}, {"role": "model", "parts": [{"text": "answer"}]}]
    return json.dumps({"contents": contents, **fields})


IMAGE = media("image/png")
VIDEO = media("video/mp4")
AUDIO = media("audio/mpeg")
PDF = media("application/pdf")


def test_more_than_30_images_drop_the_example_and_the_job_goes_on() -> None:
    """Images: up to 30 per example; an example over the limit is dropped and counted (the job
    does not fail)."""
    lines = [example([IMAGE] * 30), example([IMAGE] * 31), example([{"text": "hi"}])]
    report = validate_dataset_lines(lines, FLASH, "training")
    assert report.ok and report.example_count == 2 and report.dropped_count == 1
    assert report.dropped[0].line == 2 and "31 images" in report.dropped[0].reason


@pytest.mark.parametrize(
    ("parts", "what"),
    [([VIDEO, VIDEO], "2 videos"), ([PDF] * 5, "5 PDFs")],
)
def test_per_modality_counts_drop_the_example(parts: list[dict[str, Any]], what: str) -> None:
    """Video: 1 per example; PDF: up to 4 files per example."""
    lines = [example(parts)] + [example(parts[:1])] * 10  # 1 of 11 left out: under video's 10 %
    report = validate_dataset_lines(lines, FLASH, "training")
    assert report.ok and report.dropped_count == 1 and what in report.dropped[0].reason
    assert validate_dataset_lines([example([VIDEO]), example([PDF] * 4)], FLASH, "training").dropped == []


def test_audio_is_tuned_on_the_2_5_models_only() -> None:
    """Audio (2.5 models only): 1 file per example."""
    assert validate_dataset_lines([example([AUDIO])], GEMINI_25, "training").ok
    two = validate_dataset_lines([example([AUDIO, AUDIO]), example([AUDIO])], GEMINI_25, "training")
    assert two.dropped_count == 1 and "2 audio files" in two.dropped[0].reason
    refused = validate_dataset_lines([example([AUDIO])], FLASH, "training")
    assert "audio" in refused.problems[0].message and "not tuned on" in refused.problems[0].message


def test_file_uri_may_be_a_public_https_url() -> None:
    """`fileUri` is a Cloud Storage URI or a public HTTP(S) URL."""
    line = example([media("image/jpeg", "https://example.com/cat.jpg"), {"text": "what is it"}])
    assert validate_dataset_lines([line], FLASH, "training").ok


def test_an_omitted_role_is_the_users() -> None:
    """`role` may be omitted; it defaults to `user`."""
    line = json.dumps({"contents": [{"parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "a"}]}]})
    report = validate_dataset_lines([line], FLASH, "training", keep_examples=1)
    assert report.ok and report.examples[0].turns[0].role == "user"


def test_parts_may_carry_video_metadata_thought_signature_and_media_resolution() -> None:
    """Parts may also carry `videoMetadata`, `thoughtSignature`, `mediaResolution`."""
    video = media(
        "video/mp4",
        videoMetadata={"startOffset": "1s", "endOffset": "9s"},
        mediaResolution={"level": "MEDIA_RESOLUTION_LOW"},
    )
    line = json.dumps(
        {
            "contents": [
                {"role": "user", "parts": [video, {"text": "what happens"}]},
                {"role": "model", "parts": [{"text": "a cat jumps", "thoughtSignature": "c2ln"}]},
            ]
        }
    )
    assert validate_dataset_lines([line], FLASH, "training").ok


def test_image_tokens_depend_on_the_media_resolution() -> None:
    """Media tokens depend on `mediaResolution` (Gemini 3: 280 low, 560 medium, 1120 high)."""

    def image_tokens(line: str, model: catalogue.BaseModel = FLASH) -> int:
        report = validate_dataset_lines([line], model, "training", keep_examples=1)
        return report.examples[0].input_tokens - datasets.estimate_tokens("what")

    low = {"generationConfig": {"mediaResolution": "MEDIA_RESOLUTION_LOW"}}
    assert image_tokens(example([IMAGE, {"text": "what"}], **low)) == 280
    assert image_tokens(example([IMAGE, {"text": "what"}])) == 1120
    part_level = media("image/png", mediaResolution={"level": "MEDIA_RESOLUTION_MEDIUM"})
    assert image_tokens(example([part_level, {"text": "what"}], **low)) == 560  # the part's wins
    assert image_tokens(example([IMAGE, {"text": "what"}]), GEMINI_25) == 258


def test_video_examples_need_one_media_resolution() -> None:
    """Video: the same `mediaResolution` on every row."""
    low = {"generationConfig": {"mediaResolution": "MEDIA_RESOLUTION_LOW"}}
    lines = [example([VIDEO], **low), example([VIDEO], **low), example([VIDEO])]
    found = validate_dataset_lines(lines, FLASH, "training").problems
    assert len(found) == 1 and found[0].line == 3 and "line 1" in found[0].message


def test_more_than_10_percent_dropped_video_examples_fail() -> None:
    """Video: more than 10 % dropped examples fails the job."""
    lines = [example([VIDEO])] * 8 + [example([VIDEO, VIDEO])] * 2
    report = validate_dataset_lines(lines, FLASH, "training")
    assert not report.ok and "more than 10%" in report.problems[0].message
    assert validate_dataset_lines([example([VIDEO])] * 9 + [example([VIDEO, VIDEO])], FLASH, "training").ok


def test_a_lone_cr_is_not_a_line_break(tmp_path: Path) -> None:
    """Lines end at LF: a lone CR is not a line break for a JSONL reader (CRLF still ends a line)."""
    first, second = (json.dumps(item) for item in sample_examples(2))
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes(f"{first}\r\n{second}\r\n".encode())
    assert validate_dataset_file(crlf, FLASH, "training").example_count == 2
    lone_cr = tmp_path / "cr.jsonl"
    lone_cr.write_bytes(f"{first}\r{second}\n".encode())
    report = validate_dataset_file(lone_cr, FLASH, "training")
    assert [problem.line for problem in report.problems] == [1]
    assert "not valid JSON" in report.problems[0].message


def test_example_count_caps_for_text_and_multimodal_tuning() -> None:
    """Up to 10 M text-only or 300 K multimodal examples (caps scaled down here)."""
    small = dataclasses.replace(FLASH, max_text_examples=3, max_multimodal_examples=2)
    text_lines = sample_dataset(4).splitlines()
    assert (
        "limit is 3 for text-only"
        in validate_dataset_lines(text_lines, small, "training").problems[0].message
    )
    assert validate_dataset_lines(text_lines[:3], small, "training").ok
    mixed = [*text_lines[:2], example([IMAGE, {"text": "q"}])]
    assert "limit is 2 for multimodal" in validate_dataset_lines(mixed, small, "training").problems[0].message
    assert (FLASH.max_text_examples, FLASH.max_multimodal_examples) == (10_000_000, 300_000)


def test_validation_holds_5000_examples_or_30_percent_of_training_above_1000() -> None:
    """Validation set up to 5,000 examples, or 30 % of the training examples when it has more than
    1,000 (scaled down here: 50, or 30 % above 10)."""
    small = dataclasses.replace(FLASH, max_validation_examples=50, validation_share=(10, 0.30))
    lines = sample_dataset(20).splitlines()
    assert validate_dataset_lines(lines[:10], small, "validation", training_examples=10).ok  # at most 10
    assert validate_dataset_lines(lines, small, "validation", training_examples=100).ok  # 20 <= 30
    over_share = validate_dataset_lines(lines, small, "validation", training_examples=50)
    assert "more than 30% of the 50 training examples" in over_share.problems[0].message
    over_cap = validate_dataset_lines(sample_dataset(51).splitlines(), small, "validation")
    assert "at most 50" in over_cap.problems[0].message
    assert (FLASH.max_validation_examples, FLASH.validation_share) == (5000, (1000, 0.30))


def test_translation_llm_002_takes_1024_validation_examples_of_1000_tokens() -> None:
    """translation-llm-002: 1,000 tokens per example, validation set up to 1,024 examples, text only."""
    assert (TRANSLATION.max_tokens_per_example, TRANSLATION.max_validation_examples) == (1_000, 1_024)
    over = validate_dataset_lines(sample_dataset(1_025).splitlines(), TRANSLATION, "validation")
    assert "at most 1024" in over.problems[0].message
    assert validate_dataset_lines(sample_dataset(1_024).splitlines(), TRANSLATION, "validation").ok


def test_a_line_over_the_read_limit_is_a_problem_not_a_memory_spike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "MAX_LINE_BYTES", 64)  # the reader's own name: it reads it per line
    dataset = tmp_path / "long.jsonl"
    short = '{"contents": [{"parts": [{"text": "q"}]}, {"role": "model", "parts": [{"text": "a"}]}]}'
    dataset.write_text(f"{short[:60]}\n{'x' * 1000}\n{short[:60]}\n")
    report = validate_dataset_file(dataset, FLASH, "training")
    assert [problem.line for problem in report.problems[:3]] == [1, 2, 3]
    assert "longer than" in report.problems[1].message


def test_samples_stay_bounded_while_counts_cover_everything() -> None:
    lines = [example([IMAGE] * 31)] * (datasets.MAX_DROPPED_LISTED + 5) + sample_dataset(3).splitlines()
    report = validate_dataset_lines(lines, FLASH, "training", keep_examples=2)
    assert len(report.dropped) == datasets.MAX_DROPPED_LISTED
    assert report.dropped_count == datasets.MAX_DROPPED_LISTED + 5
    assert len(report.examples) == 2 and report.example_count == 3
    broken = validate_dataset_lines(["{"] * (datasets.MAX_PROBLEMS + 7), FLASH, "training")
    assert len(broken.problems) == datasets.MAX_PROBLEMS
    assert f"and {datasets.MAX_PROBLEMS + 6} more problems" in broken.summary()


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=60))
def test_histogram_statistics_equal_those_of_every_value(values: list[int]) -> None:
    summary = Distribution.of_counts(Counter(values))
    ordered = sorted(values)
    assert summary.sum == sum(values) and summary.min == ordered[0] and summary.max == ordered[-1]
    assert summary.median == statistics.median(values)
    assert summary.mean == pytest.approx(statistics.fmean(values))
    assert summary.p95 == ordered[min(len(ordered) - 1, int(0.95 * (len(ordered) - 1) + 0.5))]
