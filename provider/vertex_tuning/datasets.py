"""Supervised-tuning dataset checks: what Vertex would reject in a JSONL file, with line numbers.

One reader for three users: the provider's check of local dataset files, the CLI's
`dataset validate`, and the emulator, whose jobs fail (and whose tuningDataStats are computed)
from this report. No I/O beyond reading the one file it is given.
"""

from __future__ import annotations

import json
import re
import stat
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from . import catalogue

Purpose = Literal["training", "validation"]

# Roughly one token per word or punctuation mark: close to Gemini's ~4 characters per token on
# English text, and cheap. It is an estimate for stats and limits, not a billing figure.
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Gemini counts a fixed number of tokens for each image, whatever its size.
TOKENS_PER_IMAGE = 258
# Problems listed per report: enough to fix a file, not so many that a broken 1 GB file floods.
MAX_PROBLEMS = 100

_GEMINI_KEYS = {"systemInstruction", "system_instruction", "contents", "tools", "generationConfig"}
_PART_KINDS = {
    "text",
    "fileData",
    "file_data",
    "inlineData",
    "inline_data",
    "functionCall",
    "function_call",
    "functionResponse",
    "function_response",
}
_MEDIA_KINDS = {"fileData", "file_data", "inlineData", "inline_data"}


def estimate_tokens(text: str) -> int:
    """A token estimate: one per word or punctuation mark (see `_TOKEN`)."""
    return len(_TOKEN.findall(text))


def truncate_to_tokens(text: str, limit: int) -> str:
    """The prefix of `text` holding its first `limit` tokens, as `estimate_tokens` counts them."""
    if limit <= 0:
        return ""
    for index, match in enumerate(_TOKEN.finditer(text)):
        if index == limit - 1:
            return text[: match.end()]
    return text


@dataclass(frozen=True)
class DatasetProblem:
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "model"
    text: str


@dataclass(frozen=True)
class Example:
    """One valid example: its turns as text, and what it costs."""

    line: int
    system: str
    turns: tuple[Turn, ...]
    input_tokens: int
    output_tokens: int
    characters: int
    images: int

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def user_messages(self) -> int:
        return sum(1 for turn in self.turns if turn.role == "user")

    def exchanges(self) -> list[tuple[str, str]]:
        """(prompt, answer) pairs: each model turn with the user turn before it."""
        return [
            (self.turns[i - 1].text, turn.text)
            for i, turn in enumerate(self.turns)
            if turn.role == "model" and i > 0
        ]


@dataclass(frozen=True)
class DroppedExample:
    """An example the service leaves out of training (too long), reported in tuningDataStats."""

    index: int  # 1-based position among the examples, as truncatedExampleIndices counts
    line: int
    reason: str


@dataclass
class DatasetReport:
    purpose: Purpose
    model: str
    examples: list[Example] = field(default_factory=list)
    problems: list[DatasetProblem] = field(default_factory=list)
    dropped: list[DroppedExample] = field(default_factory=list)
    size_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_characters(self) -> int:
        return sum(example.characters for example in self.examples)

    @property
    def total_tokens(self) -> int:
        return sum(example.tokens for example in self.examples)

    def first_problem(self) -> DatasetProblem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        if self.ok:
            return f"{len(self.examples)} {self.purpose} examples, about {self.total_tokens} tokens" + (
                f", {len(self.dropped)} dropped as too long" if self.dropped else ""
            )
        more = len(self.problems) - 1
        suffix = f" (and {more} more problems)" if more else ""
        return f"{self.problems[0]}{suffix}"


class _Invalid(Exception):
    """One problem with one example; raised deep, reported with the example's line."""


def validate_dataset_file(path: Path, model: catalogue.BaseModel, purpose: Purpose) -> DatasetReport:
    """Check a local JSONL file; a missing, oversized or non-UTF-8 file is a problem, not an error."""
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
        report.problems.append(DatasetProblem(None, f"the file is {size} bytes; the limit is {limit} MiB"))
        return report
    try:
        with path.open("rb") as lines:
            report = validate_dataset_bytes(lines, model, purpose)
    except OSError as error:
        return _unreadable(purpose, model, error.strerror or str(error))
    report.size_bytes = size
    return report


def _unreadable(purpose: Purpose, model: catalogue.BaseModel, why: str) -> DatasetReport:
    report = DatasetReport(purpose, model.id)
    report.problems.append(DatasetProblem(None, f"cannot read the dataset: {why}"))
    return report


def validate_dataset_bytes(
    lines: Iterable[bytes], model: catalogue.BaseModel, purpose: Purpose
) -> DatasetReport:
    """Check a JSONL dataset given as raw lines (split at LF only, as a JSONL reader does); a line
    that is not UTF-8 is a problem with its line number, and the lines after it are still checked."""
    undecodable: list[DatasetProblem] = []

    def decoded() -> Iterable[str]:
        for number, raw in enumerate(lines, start=1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                undecodable.append(
                    DatasetProblem(
                        number,
                        f"not UTF-8 text: byte 0x{raw[error.start]:02x} at column {error.start + 1} "
                        f"({error.reason}); save the file as UTF-8",
                    )
                )
                yield ""  # skipped as blank, so the numbering of the lines after it stays right

    report = validate_dataset_lines(decoded(), model, purpose)
    if undecodable:
        report.problems = sorted(
            [*undecodable, *report.problems], key=lambda problem: (problem.line is None, problem.line or 0)
        )[:MAX_PROBLEMS]
    return report


def validate_dataset_lines(
    lines: Iterable[str], model: catalogue.BaseModel, purpose: Purpose
) -> DatasetReport:
    """Check every line of a JSONL dataset for `model`; blank lines are skipped."""
    report = DatasetReport(purpose, model.id)
    index = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        index += 1
        try:
            example = _parse_example(number, line, model)
        except _Invalid as problem:
            if len(report.problems) < MAX_PROBLEMS:
                report.problems.append(DatasetProblem(number, str(problem)))
            continue
        if example.tokens > model.max_tokens_per_example:
            # Vertex drops over-long examples and counts them, rather than failing the job.
            reason = (
                f"the example has about {example.tokens} tokens; "
                f"{model.id} takes at most {model.max_tokens_per_example} per example"
            )
            report.dropped.append(DroppedExample(index, number, reason))
        else:
            report.examples.append(example)
    _check_counts(report)
    return report


def _check_counts(report: DatasetReport) -> None:
    count = len(report.examples)
    if count == 0 and report.ok and report.dropped:
        first = report.dropped[0]
        report.problems.append(
            DatasetProblem(None, f"every example is too long to use (line {first.line}: {first.reason})")
        )
    elif count == 0 and report.ok:
        report.problems.append(DatasetProblem(None, f"the {report.purpose} dataset holds no examples"))
    if report.purpose == "validation" and count > catalogue.MAX_VALIDATION_EXAMPLES:
        report.problems.append(
            DatasetProblem(
                None,
                f"the validation dataset holds {count} examples; "
                f"the limit is {catalogue.MAX_VALIDATION_EXAMPLES}",
            )
        )


def _parse_example(number: int, line: str, model: catalogue.BaseModel) -> Example:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise _Invalid(f"not valid JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise _Invalid("the JSON is nested too deeply") from None
    if not isinstance(record, dict):
        raise _Invalid("each line must be a JSON object")
    if model.dataset_format is catalogue.DatasetFormat.MESSAGES:
        return _parse_messages(number, record, model)
    return _parse_contents(number, record, model)


def _parse_contents(number: int, record: dict[str, Any], model: catalogue.BaseModel) -> Example:
    if "messages" in record and "contents" not in record:
        raise _Invalid(f"uses the legacy `messages` format, which {model.id} does not take; use `contents`")
    unknown = sorted(set(record) - _GEMINI_KEYS)
    if unknown:
        raise _Invalid(f"unknown field {unknown[0]!r}; an example holds {', '.join(sorted(_GEMINI_KEYS))}")
    contents = record.get("contents")
    if not isinstance(contents, list) or not contents:
        raise _Invalid("`contents` must be a non-empty list of turns")
    system_value = record.get("systemInstruction", record.get("system_instruction"))
    system, system_images = _system_text(system_value, model)
    turns: list[Turn] = []
    images = system_images
    for index, content in enumerate(contents):
        turn, turn_images = _parse_turn(index, content, model)
        turns.append(turn)
        images += turn_images
    _check_roles([turn.role for turn in turns])
    if images > catalogue.MAX_IMAGES_PER_EXAMPLE:
        raise _Invalid(f"holds {images} images; the limit is {catalogue.MAX_IMAGES_PER_EXAMPLE} per example")
    return _example(number, system, turns, images)


def _system_text(value: Any, model: catalogue.BaseModel) -> tuple[str, int]:
    if value is None:
        return "", 0
    if not isinstance(value, dict):
        raise _Invalid("`systemInstruction` must be an object with `parts`")
    turn, images = _parse_parts("systemInstruction", value.get("parts"), model)
    return turn, images


def _parse_turn(index: int, content: Any, model: catalogue.BaseModel) -> tuple[Turn, int]:
    where = f"contents[{index}]"
    if not isinstance(content, dict):
        raise _Invalid(f"{where} must be an object with `role` and `parts`")
    role = content.get("role")
    if role not in ("user", "model"):
        raise _Invalid(f"{where}.role must be 'user' or 'model', not {role!r}")
    text, images = _parse_parts(where, content.get("parts"), model)
    return Turn(role, text), images


def _parse_parts(where: str, parts: Any, model: catalogue.BaseModel) -> tuple[str, int]:
    if not isinstance(parts, list) or not parts:
        raise _Invalid(f"{where}.parts must be a non-empty list")
    texts: list[str] = []
    images = 0
    for index, part in enumerate(parts):
        here = f"{where}.parts[{index}]"
        if not isinstance(part, dict) or not part:
            raise _Invalid(f"{here} must be a non-empty object")
        kinds = [key for key in part if key in _PART_KINDS]
        others = sorted(set(part) - _PART_KINDS - {"thought"})
        if others:
            raise _Invalid(f"{here} has unknown field {others[0]!r}")
        if len(kinds) != 1:
            raise _Invalid(f"{here} must hold exactly one of text, fileData, functionCall, functionResponse")
        kind = kinds[0]
        if kind == "text":
            if not isinstance(part["text"], str) or not part["text"].strip():
                raise _Invalid(f"{here}.text must be non-empty text")
            texts.append(part["text"])
        elif kind in _MEDIA_KINDS:
            images += _media_part(here, part[kind], model)
        elif not isinstance(part[kind], dict) or not part[kind].get("name"):
            raise _Invalid(f"{here}.{kind} must be an object with a `name`")
    return "\n".join(texts), images


def _media_part(here: str, media: Any, model: catalogue.BaseModel) -> int:
    if not model.multimodal:
        raise _Invalid(f"{here} is a media part, but {model.id} is tuned on text only")
    if not isinstance(media, dict):
        raise _Invalid(f"{here} must be an object with `mimeType`")
    mime = media.get("mimeType", media.get("mime_type"))
    if not isinstance(mime, str) or "/" not in mime:
        raise _Invalid(f"{here}.mimeType must be a MIME type such as image/png")
    uri = media.get("fileUri", media.get("file_uri"))
    if uri is not None and (not isinstance(uri, str) or not uri.startswith("gs://")):
        raise _Invalid(f"{here}.fileUri must be a gs:// URI")
    return 1 if mime.startswith("image/") else 0


def _check_roles(roles: list[str]) -> None:
    if roles[0] != "user":
        raise _Invalid("the first turn must have role 'user'")
    for index in range(1, len(roles)):
        if roles[index] == roles[index - 1]:
            raise _Invalid(
                f"contents[{index}] repeats role {roles[index]!r}; roles must alternate user/model"
            )
    if roles[-1] != "model":
        raise _Invalid("the last turn must have role 'model' (it is what the model learns to answer)")


def _parse_messages(number: int, record: dict[str, Any], model: catalogue.BaseModel) -> Example:
    if "contents" in record:
        raise _Invalid(f"uses the `contents` format; {model.id} takes the `messages` format")
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _Invalid("`messages` must be a non-empty list")
    system = ""
    turns: list[Turn] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise _Invalid(f"{where} must be an object with `role` and `content`")
        role, content = message.get("role"), message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise _Invalid(f"{where}.content must be non-empty text")
        if role == "system" and index == 0:
            system = content
        elif role in ("user", "model"):
            turns.append(Turn(role, content))
        else:
            raise _Invalid(f"{where}.role must be 'user' or 'model' (or 'system' first), not {role!r}")
    if not turns:
        raise _Invalid("`messages` holds no user/model turns")
    _check_roles([turn.role for turn in turns])
    return _example(number, system, turns, 0)


def _example(number: int, system: str, turns: list[Turn], images: int) -> Example:
    output_tokens = sum(estimate_tokens(turn.text) for turn in turns if turn.role == "model")
    input_tokens = (
        estimate_tokens(system)
        + sum(estimate_tokens(turn.text) for turn in turns if turn.role == "user")
        + images * TOKENS_PER_IMAGE
    )
    characters = len(system) + sum(len(turn.text) for turn in turns)
    return Example(number, system, tuple(turns), input_tokens, output_tokens, characters, images)


@dataclass(frozen=True)
class Distribution:
    """Summary of one per-example quantity, as tuningDataStats reports it."""

    sum: int
    min: float
    max: float
    mean: float
    median: float
    p5: float
    p95: float

    @classmethod
    def of(cls, values: list[int]) -> Distribution:
        ordered = sorted(values) or [0]

        def percentile(p: float) -> float:
            return float(ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1) + 0.5))])

        return cls(
            sum=sum(ordered),
            min=float(ordered[0]),
            max=float(ordered[-1]),
            mean=float(statistics.fmean(ordered)),
            median=float(statistics.median(ordered)),
            p5=percentile(0.05),
            p95=percentile(0.95),
        )
