"""Reading a dataset: a file, a download or lines, streamed one line at a time into a report.

One line is read, checked and forgotten at a time, so a 1 GB file is checked in bounded memory.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from .. import catalogue
from .contents import parse_contents
from .limits import check_counts, drop_reason
from .messages import parse_messages
from .report import DatasetReport, Example, Purpose
from .turns import InvalidExample

# A line longer than this is not parsed (our choice, for bounded memory): 131,072 tokens of text
# are well under 1 MiB, and media belong in Cloud Storage (`fileData`), not inline.
MAX_LINE_BYTES = 32 * 1024**2


def validate_dataset_file(
    path: Path,
    model: catalogue.BaseModel,
    purpose: Purpose,
    *,
    training_examples: int | None = None,
    keep_examples: int = 0,
) -> DatasetReport:
    """Check a local JSONL file; a missing, oversized or non-UTF-8 file is a problem, not an error.

    `training_examples`: the training set's size, for the validation set's 30 % rule.
    `keep_examples`: how many valid examples the report keeps whole (within MAX_KEPT_CHARACTERS).
    """
    try:
        status = path.stat()
    except (OSError, ValueError) as error:  # ValueError: a path holding a NUL byte
        return _unreadable(purpose, model, getattr(error, "strerror", None) or str(error))
    if not stat.S_ISREG(status.st_mode):
        # A directory fails to open, and a device or pipe may never end: only regular files are read.
        return _unreadable(purpose, model, "it is not a regular file (give the path of a JSONL file)")
    size = status.st_size
    if size > catalogue.MAX_DATASET_BYTES:
        report = DatasetReport(purpose, model.id, size_bytes=size)
        limit = catalogue.MAX_DATASET_BYTES // 1024**2
        report.add_problem(None, f"the file is {size} bytes; the limit is {limit} MiB")
        return report
    try:
        with path.open("rb") as stream:
            report = validate_dataset_lines(
                _lines(stream),
                model,
                purpose,
                training_examples=training_examples,
                keep_examples=keep_examples,
            )
    except OSError as error:
        return _unreadable(purpose, model, error.strerror or str(error))
    report.size_bytes = size
    return report


class _TooLong(bytes):
    """A line over MAX_LINE_BYTES, of which only the start was read."""


def _lines(stream: BinaryIO) -> Iterable[bytes]:
    """The file's lines, split at LF only: a lone CR is not a line break for a JSONL reader."""
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # skip the rest of the line without holding it
                rest = stream.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            yield _TooLong(line[:80])
            continue
        yield line


def _unreadable(purpose: Purpose, model: catalogue.BaseModel, why: str) -> DatasetReport:
    report = DatasetReport(purpose, model.id)
    report.add_problem(None, f"cannot read the dataset: {why}")
    return report


def validate_dataset_bytes(
    stream: BinaryIO, model: catalogue.BaseModel, purpose: Purpose, *, training_examples: int | None = None
) -> DatasetReport:
    """Check a JSONL dataset read from a binary stream (a download), line by line as from a file."""
    return validate_dataset_lines(_lines(stream), model, purpose, training_examples=training_examples)


def validate_dataset_lines(
    lines: Iterable[str | bytes],
    model: catalogue.BaseModel,
    purpose: Purpose,
    *,
    training_examples: int | None = None,
    keep_examples: int = 0,
) -> DatasetReport:
    """Check every line of a JSONL dataset for `model`; blank lines are skipped."""
    report = DatasetReport(purpose, model.id)
    video_resolution: tuple[str | None, int] | None = None  # (mediaResolution, line) of the first video
    index = 0
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, _TooLong):
            index += 1
            report.add_problem(number, f"the line is longer than {MAX_LINE_BYTES // 1024**2} MiB")
            continue
        try:
            line = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as error:
            index += 1
            report.add_problem(
                number,
                f"not UTF-8 text: byte 0x{raw[error.start]:02x} at column {error.start + 1} "
                f"({error.reason}); save the file as UTF-8",
            )
            continue
        if not line.strip():
            continue
        index += 1
        try:
            example = _parse_example(number, line, model)
        except InvalidExample as problem:
            report.add_problem(number, str(problem))
            continue
        media = example.media
        if media.counts.videos:
            report.video_examples += 1
            # Video tuning takes one mediaResolution for the whole dataset.
            if video_resolution is None:
                video_resolution = (media.resolution, number)
            elif media.resolution != video_resolution[0]:
                first, first_line = video_resolution
                report.add_problem(
                    number,
                    f"mediaResolution {media.resolution or 'unset'} differs from "
                    f"{first or 'unset'} on line {first_line}; video tuning needs the same on every example",
                )
                continue
        reason = drop_reason(example, model)
        if reason is not None:
            # Vertex leaves such an example out and counts it, rather than failing the job.
            report.add_dropped(index, number, reason)
            report.dropped_video_examples += 1 if media.counts.videos else 0
            continue
        report.multimodal_examples += 1 if media.counts.any else 0
        report.add_example(example, keep_examples)
    check_counts(report, model, training_examples)
    return report


def _parse_example(number: int, line: str, model: catalogue.BaseModel) -> Example:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise InvalidExample(f"not valid JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise InvalidExample("the JSON is nested too deeply") from None
    if not isinstance(record, dict):
        raise InvalidExample("each line must be a JSON object")
    if model.dataset_format is catalogue.DatasetFormat.MESSAGES:
        return parse_messages(number, record, model)
    return parse_contents(number, record, model)
