"""What a dataset check finds: its problems, its examples and dropped ones, and the report that counts them.

The report keeps counts, totals and histograms of every example (bounded by the token limit, not
by the number of examples) and bounded samples of examples, dropped ones and problems.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from ..catalogue import MediaCounts

Purpose = Literal["training", "validation"]

# Problems listed per report: enough to fix a file, not so many that a broken 1 GB file floods.
MAX_PROBLEMS = 100
# Dropped examples listed by line and reason (the counts cover them all).
MAX_DROPPED_LISTED = 100
# Examples kept whole for callers that want them (the emulator's tuned endpoint), and their budget.
MAX_KEPT_CHARACTERS = 16 * 1024**2


@dataclass(frozen=True)
class DatasetProblem:
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class Turn(NamedTuple):
    role: str  # "user" or "model"
    text: str


_NO_COUNTS = MediaCounts()


@dataclass(frozen=True)
class Media:
    """What one example holds besides text: its media per kind, and what its images cost."""

    counts: MediaCounts = _NO_COUNTS
    image_tokens: int = 0
    resolution: str | None = None  # the example's mediaResolution, when a video needs one

    def __add__(self, other: Media) -> Media:
        return Media(
            self.counts + other.counts,
            self.image_tokens + other.image_tokens,
            self.resolution or other.resolution,
        )


NO_MEDIA = Media()


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

    def add_example(self, example: Example, keep: int) -> None:
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

    def add_dropped(self, index: int, line: int, reason: str) -> None:
        self.dropped_count += 1
        if len(self.dropped) < MAX_DROPPED_LISTED:
            self.dropped.append(DroppedExample(index, line, reason))
