"""Supervised-tuning dataset checks: what Vertex would reject in a JSONL file, with line numbers.

One reader for three users: the provider's check of local dataset files, the CLI's
`dataset validate`, and the emulator, whose jobs fail (and whose tuningDataStats are computed)
from this report. No I/O beyond reading the one file it is given.

It streams (`reading`): one line is read, checked and forgotten at a time, and the report
(`report`) keeps counts, totals and histograms, plus a bounded sample of examples and dropped
ones. So a 1 GB file is checked in bounded memory. Each example is checked by its format's rules
(`contents` for Gemini models, `messages` for the legacy one), then against the service's limits
(`limits`). The rules are the modality and dataset pages' (late 2026); each says where it comes from.
"""

from .distribution import Distribution
from .limits import MAX_DROPPED_VIDEO_SHARE
from .reading import MAX_LINE_BYTES, validate_dataset_bytes, validate_dataset_file, validate_dataset_lines
from .report import (
    MAX_DROPPED_LISTED,
    MAX_KEPT_CHARACTERS,
    MAX_PROBLEMS,
    DatasetProblem,
    DatasetReport,
    DroppedExample,
    Example,
    Media,
    Purpose,
    Turn,
)
from .tokens import estimate_tokens, truncate_to_tokens

__all__ = [
    "MAX_DROPPED_LISTED",
    "MAX_DROPPED_VIDEO_SHARE",
    "MAX_KEPT_CHARACTERS",
    "MAX_LINE_BYTES",
    "MAX_PROBLEMS",
    "DatasetProblem",
    "DatasetReport",
    "Distribution",
    "DroppedExample",
    "Example",
    "Media",
    "Purpose",
    "Turn",
    "estimate_tokens",
    "truncate_to_tokens",
    "validate_dataset_bytes",
    "validate_dataset_file",
    "validate_dataset_lines",
]
