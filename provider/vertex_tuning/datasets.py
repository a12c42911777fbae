"""Supervised-tuning dataset checks: what Vertex would reject in a JSONL file, with line numbers.

One reader for three users: the provider's check of local dataset files, the CLI's
`dataset validate`, and the emulator, whose jobs fail (and whose tuningDataStats are computed)
from this report. No I/O beyond reading the one file it is given.

It streams: one line is read, checked and forgotten at a time, and the report keeps counts,
totals and histograms (bounded by the token limit, not by the number of examples), plus a
bounded sample of examples and dropped ones. So a 1 GB file is checked in bounded memory.

The rules are the modality and dataset pages' (late 2026); each says where it comes from.
"""

from __future__ import annotations

import json
import re
import stat
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, NamedTuple

from . import catalogue

Purpose = Literal["training", "validation"]

# Roughly one token per word or punctuation mark: close to Gemini's ~4 characters per token on
# English text, and cheap. It is an estimate for stats and limits, not a billing figure.
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Problems listed per report: enough to fix a file, not so many that a broken 1 GB file floods.
MAX_PROBLEMS = 100
# Dropped examples listed by line and reason (the counts cover them all).
MAX_DROPPED_LISTED = 100
# A line longer than this is not parsed (our choice, for bounded memory): 131,072 tokens of text
# are well under 1 MiB, and media belong in Cloud Storage (`fileData`), not inline.
MAX_LINE_BYTES = 32 * 1024**2
# Examples kept whole for callers that want them (the emulator's tuned endpoint), and their budget.
MAX_KEPT_CHARACTERS = 16 * 1024**2
# Video tuning fails the job when more than this share of its examples is dropped.
MAX_DROPPED_VIDEO_SHARE = 0.10

_GEMINI_KEYS = {"systemInstruction", "system_instruction", "contents", "tools", "generationConfig"}
_CONTENT_KINDS = {
    "text": "text",
    "fileData": "fileData",
    "file_data": "fileData",
    "inlineData": "inlineData",
    "inline_data": "inlineData",
    "functionCall": "functionCall",
    "function_call": "functionCall",
    "functionResponse": "functionResponse",
    "function_response": "functionResponse",
}
# What a part may carry besides its one kind of content (the modality pages list these).
_PART_METADATA = {
    "thought",
    "thoughtSignature",
    "thought_signature",
    "videoMetadata",
    "video_metadata",
    "mediaResolution",
    "media_resolution",
}
_MEDIA_KINDS = {"fileData", "inlineData"}
_URI_SCHEMES = ("gs://", "https://", "http://")


def _ascii_classes() -> bytes:
    """Each ASCII byte as `_TOKEN` sees it: w (word), space, or p (a punctuation mark)."""

    def kind(byte: int) -> int:
        char = chr(byte)
        if re.fullmatch(r"\w", char):
            return ord("w")
        return ord(" ") if re.fullmatch(r"\s", char) else ord("p")

    return bytes(kind(byte) for byte in range(128)) + b"p" * 128


_ASCII_CLASSES = _ascii_classes()


def estimate_tokens(text: str) -> int:
    """A token estimate: one per word or punctuation mark (see `_TOKEN`).

    ASCII text (nearly all of it) is counted with byte operations, several times faster than the
    regex on large datasets and equal to it by construction (the classes come from `_TOKEN`'s)."""
    if not text.isascii():
        return len(_TOKEN.findall(text))
    classes = text.encode("ascii").translate(_ASCII_CLASSES)
    word_starts = classes.count(b" w") + classes.count(b"pw") + classes.startswith(b"w")
    return classes.count(b"p") + word_starts


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


class Turn(NamedTuple):
    role: str  # "user" or "model"
    text: str


@dataclass(frozen=True)
class Media:
    """What one example holds besides text, counted per kind."""

    images: int = 0
    videos: int = 0
    audio: int = 0
    pdfs: int = 0
    image_tokens: int = 0
    resolution: str | None = None  # the example's mediaResolution, when a video needs one

    def __add__(self, other: Media) -> Media:
        return Media(
            self.images + other.images,
            self.videos + other.videos,
            self.audio + other.audio,
            self.pdfs + other.pdfs,
            self.image_tokens + other.image_tokens,
            self.resolution or other.resolution,
        )

    @property
    def any(self) -> bool:
        return bool(self.images or self.videos or self.audio or self.pdfs)


_NO_MEDIA = Media()


@dataclass(slots=True)
class Example:
    """One valid example: its turns as text, and what it costs."""

    line: int
    system: str
    turns: tuple[Turn, ...]
    input_tokens: int
    output_tokens: int
    characters: int
    images: int
    media: Media = field(default_factory=Media)

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
    """An example the service leaves out of training (too long, too much media), counted in the stats."""

    index: int  # 1-based position among the examples, as truncatedExampleIndices counts
    line: int
    reason: str


@dataclass
class DatasetReport:
    """What a dataset holds: counts and histograms of every example, samples of a bounded few."""

    purpose: Purpose
    model: str
    examples: list[Example] = field(default_factory=list)
    """The first valid examples, up to what the caller asked to keep (none by default)."""
    problems: list[DatasetProblem] = field(default_factory=list)
    dropped: list[DroppedExample] = field(default_factory=list)
    """The first MAX_DROPPED_LISTED dropped examples; `dropped_count` counts them all."""
    size_bytes: int = 0
    example_count: int = 0
    dropped_count: int = 0
    problem_count: int = 0
    total_characters: int = 0
    total_tokens: int = 0
    largest_tokens: int = 0
    multimodal_examples: int = 0
    video_examples: int = 0
    dropped_video_examples: int = 0
    input_tokens: Counter[int] = field(default_factory=Counter)
    output_tokens: Counter[int] = field(default_factory=Counter)
    user_messages: Counter[int] = field(default_factory=Counter)
    kept_characters: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def first_problem(self) -> DatasetProblem | None:
        return self.problems[0] if self.problems else None

    def add_problem(self, line: int | None, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(DatasetProblem(line, message))

    def summary(self) -> str:
        if self.ok:
            return f"{self.example_count} {self.purpose} examples, about {self.total_tokens} tokens" + (
                f", {self.dropped_count} dropped" if self.dropped_count else ""
            )
        more = self.problem_count - 1
        suffix = f" (and {more} more problems)" if more else ""
        return f"{self.problems[0]}{suffix}"

    def _count(self, example: Example, keep: int) -> None:
        self.example_count += 1
        self.total_characters += example.characters
        self.total_tokens += example.tokens
        self.largest_tokens = max(self.largest_tokens, example.tokens)
        self.input_tokens[example.input_tokens] += 1
        self.output_tokens[example.output_tokens] += 1
        self.user_messages[example.user_messages] += 1
        if len(self.examples) < keep and self.kept_characters + example.characters <= MAX_KEPT_CHARACTERS:
            self.examples.append(example)
            self.kept_characters += example.characters

    def _drop(self, index: int, line: int, reason: str) -> None:
        self.dropped_count += 1
        if len(self.dropped) < MAX_DROPPED_LISTED:
            self.dropped.append(DroppedExample(index, line, reason))


class _Invalid(Exception):
    """One problem with one example; raised deep, reported with the example's line."""


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
        except _Invalid as problem:
            report.add_problem(number, str(problem))
            continue
        media = example.media
        if media.videos:
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
        reason = _drop_reason(example, model)
        if reason is not None:
            # Vertex leaves such an example out and counts it, rather than failing the job.
            report._drop(index, number, reason)
            report.dropped_video_examples += 1 if media.videos else 0
            continue
        report.multimodal_examples += 1 if media.any else 0
        report._count(example, keep_examples)
    _check_counts(report, model, training_examples)
    return report


def _drop_reason(example: Example, model: catalogue.BaseModel) -> str | None:
    limits, media = model.media, example.media
    for count, limit, what in (
        (
            (media.images, limits.images, "images"),
            (media.videos, limits.videos, "videos"),
            (media.audio, limits.audio_files, "audio files"),
            (media.pdfs, limits.pdfs, "PDFs"),
        )
        if media is not _NO_MEDIA
        else ()
    ):
        if count > limit:
            return f"the example holds {count} {what}; {model.id} takes at most {limit} per example"
    if example.tokens > model.max_tokens_per_example:
        return (
            f"the example has about {example.tokens} tokens; "
            f"{model.id} takes at most {model.max_tokens_per_example} per example"
        )
    return None


def _check_counts(report: DatasetReport, model: catalogue.BaseModel, training_examples: int | None) -> None:
    count = report.example_count
    if count == 0 and report.ok and report.dropped:
        first = report.dropped[0]
        report.add_problem(None, f"every example is left out (line {first.line}: {first.reason})")
    elif count == 0 and report.ok:
        report.add_problem(None, f"the {report.purpose} dataset holds no examples")
    if (
        report.video_examples
        and report.dropped_video_examples > MAX_DROPPED_VIDEO_SHARE * report.video_examples
    ):
        report.add_problem(
            None,
            f"{report.dropped_video_examples} of {report.video_examples} video examples are left out; "
            f"more than {MAX_DROPPED_VIDEO_SHARE:.0%} fails a video tuning job",
        )
    if report.purpose == "validation":
        _check_validation_size(report, model, training_examples)
        return
    multimodal = report.multimodal_examples > 0
    cap = model.max_multimodal_examples if multimodal else model.max_text_examples
    if count > cap:
        kind = "multimodal" if multimodal else "text-only"
        report.add_problem(None, f"the dataset holds {count} examples; the limit is {cap} for {kind} tuning")


def _check_validation_size(
    report: DatasetReport, model: catalogue.BaseModel, training_examples: int | None
) -> None:
    """At most 5,000 examples (1,024 for translation-llm-002), and at most 30 % of the training
    examples once there are more than 1,000 (the supervised-tuning page's limits)."""
    count = report.example_count
    if count > model.max_validation_examples:
        report.add_problem(
            None,
            f"the validation dataset holds {count} examples; {model.id} takes at most "
            f"{model.max_validation_examples}",
        )
    elif model.validation_share is not None and training_examples is not None:
        above, share = model.validation_share
        if count > above and count > share * training_examples:
            report.add_problem(
                None,
                f"the validation dataset holds {count} examples, more than {above} and more than "
                f"{share:.0%} of the {training_examples} training examples",
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
    resolution = _example_resolution(record.get("generationConfig"))
    system_value = record.get("systemInstruction", record.get("system_instruction"))
    context = _PartContext(model, resolution)
    system, media = _system_text(system_value, context)
    turns: list[Turn] = []
    for index, content in enumerate(contents):
        turn = _plain_text_turn(content)
        if turn is None:  # media, function calls, metadata or a mistake: the general path
            turn, turn_media = _parse_turn(index, content, context)
            if turn_media is not _NO_MEDIA:
                media = media + turn_media
        turns.append(turn)
    _check_roles([turn.role for turn in turns])
    return _example(number, system, turns, media)


def _plain_text_turn(content: Any) -> Turn | None:
    """The common turn, `{"role": ..., "parts": [{"text": ...}, ...]}`, checked at low cost;
    None when it is anything else (then the general path checks it and names any mistake)."""
    if type(content) is not dict:
        return None
    role, parts = content.get("role", "user"), content.get("parts")
    if (role != "user" and role != "model") or type(parts) is not list or not parts:
        return None
    texts = []
    for part in parts:
        value = part.get("text") if type(part) is dict and len(part) == 1 else None
        if type(value) is not str or not value.strip():
            return None
        texts.append(value)
    return Turn(role, texts[0] if len(texts) == 1 else "\n".join(texts))


def _resolution_text(value: Any) -> str | None:
    """A mediaResolution as a name: `"MEDIA_RESOLUTION_LOW"` or a part's `{"level": ...}`."""
    if isinstance(value, dict):
        value = value.get("level")
    return value if isinstance(value, str) and value else None


def _example_resolution(config: Any) -> str | None:
    if not isinstance(config, dict):
        return None
    return _resolution_text(config.get("mediaResolution", config.get("media_resolution")))


@dataclass(slots=True)
class _PartContext:
    model: catalogue.BaseModel
    resolution: str | None  # the example's generationConfig.mediaResolution


def _system_text(value: Any, context: _PartContext) -> tuple[str, Media]:
    if value is None:
        return "", _NO_MEDIA
    if not isinstance(value, dict):
        raise _Invalid("`systemInstruction` must be an object with `parts`")
    return _parse_parts("systemInstruction", value.get("parts"), context)


def _parse_turn(index: int, content: Any, context: _PartContext) -> tuple[Turn, Media]:
    where = f"contents[{index}]"
    if not isinstance(content, dict):
        raise _Invalid(f"{where} must be an object with `role` and `parts`")
    role = content.get("role", "user")  # an omitted role is the user's
    if role not in ("user", "model"):
        raise _Invalid(f"{where}.role must be 'user' or 'model', not {role!r}")
    text, media = _parse_parts(where, content.get("parts"), context)
    return Turn(role, text), media


def _parse_parts(where: str, parts: Any, context: _PartContext) -> tuple[str, Media]:
    if not isinstance(parts, list) or not parts:
        raise _Invalid(f"{where}.parts must be a non-empty list")
    texts: list[str] = []
    media = _NO_MEDIA
    for index, part in enumerate(parts):
        if type(part) is dict and len(part) == 1 and type(part.get("text")) is str and part["text"].strip():
            texts.append(part["text"])  # the common case, checked without the general path's cost
            continue
        here = f"{where}.parts[{index}]"
        if not isinstance(part, dict) or not part:
            raise _Invalid(f"{here} must be a non-empty object")
        kinds = [key for key in part if key in _CONTENT_KINDS]
        if len(kinds) != len(part):
            others = sorted(key for key in part if key not in _CONTENT_KINDS and key not in _PART_METADATA)
            if others:
                raise _Invalid(f"{here} has unknown field {others[0]!r}")
        if len(kinds) != 1:
            raise _Invalid(f"{here} must hold exactly one of text, fileData, functionCall, functionResponse")
        key = kinds[0]
        kind = _CONTENT_KINDS[key]
        if kind == "text":
            if not isinstance(part[key], str) or not part[key].strip():
                raise _Invalid(f"{here}.text must be non-empty text")
            texts.append(part[key])
        elif kind in _MEDIA_KINDS:
            resolution = _resolution_text(part.get("mediaResolution", part.get("media_resolution")))
            media = media + _media_part(here, part[key], context, resolution or context.resolution)
        elif not isinstance(part[key], dict) or not part[key].get("name"):
            raise _Invalid(f"{here}.{kind} must be an object with a `name`")
    return "\n".join(texts), media


def _media_part(here: str, media: Any, context: _PartContext, resolution: str | None) -> Media:
    model = context.model
    if not model.multimodal:
        raise _Invalid(f"{here} is a media part, but {model.id} is tuned on text only")
    if not isinstance(media, dict):
        raise _Invalid(f"{here} must be an object with `mimeType`")
    mime = media.get("mimeType", media.get("mime_type"))
    if not isinstance(mime, str) or "/" not in mime:
        raise _Invalid(f"{here}.mimeType must be a MIME type such as image/png")
    uri = media.get("fileUri", media.get("file_uri"))
    if uri is not None and (not isinstance(uri, str) or not uri.startswith(_URI_SCHEMES)):
        raise _Invalid(f"{here}.fileUri must be a gs:// URI or an https:// URL")
    modality = _modality(mime)
    if modality is not None and modality not in model.modalities:
        raise _Invalid(f"{here} is {modality.value} ({mime}), which {model.id} is not tuned on")
    if modality is catalogue.Modality.IMAGE:
        tokens = model.image_tokens.get(resolution, model.image_tokens[None])
        return Media(images=1, image_tokens=tokens)
    if modality is catalogue.Modality.VIDEO:
        return Media(videos=1, resolution=resolution)
    if modality is catalogue.Modality.AUDIO:
        return Media(audio=1)
    if modality is catalogue.Modality.PDF:
        return Media(pdfs=1)
    return Media()


def _modality(mime: str) -> catalogue.Modality | None:
    kind = mime.split("/", 1)[0].lower()
    if mime.lower() == "application/pdf":
        return catalogue.Modality.PDF
    return {
        "image": catalogue.Modality.IMAGE,
        "video": catalogue.Modality.VIDEO,
        "audio": catalogue.Modality.AUDIO,
    }.get(kind)


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
    return _example(number, system, turns, _NO_MEDIA)


def _example(number: int, system: str, turns: list[Turn], media: Media) -> Example:
    # Counted once per side: whitespace between texts adds no token, so the sums are the same.
    user: list[str] = [system]
    answers: list[str] = []
    characters = len(system)
    for role, text in turns:
        (user if role == "user" else answers).append(text)
        characters += len(text)
    input_tokens = estimate_tokens(" ".join(user)) + media.image_tokens
    output_tokens = estimate_tokens(" ".join(answers))
    return Example(number, system, tuple(turns), input_tokens, output_tokens, characters, media.images, media)


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
        return cls.of_counts(Counter(values))

    @classmethod
    def of_counts(cls, counts: Counter[int]) -> Distribution:
        """From a histogram (value -> how many examples): exact, in memory bounded by distinct values."""
        ordered = sorted((value, n) for value, n in counts.items() if n > 0) or [(0, 1)]
        total = sum(n for _, n in ordered)

        def at(position: int) -> float:
            seen = 0
            for value, n in ordered:
                seen += n
                if position < seen:
                    return float(value)
            return float(ordered[-1][0])

        def percentile(p: float) -> float:
            return at(min(total - 1, int(p * (total - 1) + 0.5)))

        middle = (total - 1) / 2
        median = (at(int(middle)) + at(int(middle + 0.5))) / 2
        value_sum = sum(value * n for value, n in ordered)
        return cls(
            sum=value_sum,
            min=float(ordered[0][0]),
            max=float(ordered[-1][0]),
            mean=value_sum / total,
            median=median,
            p5=percentile(0.05),
            p95=percentile(0.95),
        )
