"""Which base models can be tuned, with what, and until when: the one table of models.

The provider's check, the CLI's dataset validation and the emulator all read this table, so the
three can never disagree about a model. Each entry holds the model's tuning regions, where its
tuned models serve, its limits, adapter sizes, modalities, CMEK support, and its lifecycle
(release, retirement, successor): a new Gemini release or a retirement date is one entry.

Facts are from the product's model-versions and supervised-tuning pages (December 2026). Where
the service publishes no number, the choice is ours and the entry says so. "Today" comes from a
clock (`today()`), replaced in tests, so lifecycle checks are deterministic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import partial

from .wire import AdapterSize


class DatasetFormat(str, Enum):
    GEMINI = "gemini"
    """`{"systemInstruction": ..., "contents": [{"role": "user", "parts": [...]}, ...]}`"""
    MESSAGES = "messages"
    """The legacy gemini-1.0-pro-002 form: `{"messages": [{"role": ..., "content": ...}]}`."""


class Modality(str, Enum):
    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    PDF = "pdf"


class Lifecycle(str, Enum):
    """Where a model stands on a given day."""

    UNRELEASED = "unreleased"
    CURRENT = "current"
    RETIRING = "retiring"  # retires within RETIREMENT_WARNING_DAYS: tunes, with a warning
    RETIRED = "retired"
    UNCONFIRMED = "unconfirmed"  # listed by the API, not on the tuning page: not tuned (our choice)


RETIREMENT_WARNING_DAYS = 90

# Vertex AI regions that offered Gemini supervised tuning for the 1.x-2.5 models.
TUNING_REGIONS: frozenset[str] = frozenset(
    {
        "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west4",
        "northamerica-northeast1", "southamerica-east1",
        "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6",
        "europe-west8", "europe-west9", "europe-north1", "europe-central2", "europe-southwest1",
        "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast3", "asia-south1",
        "asia-southeast1", "australia-southeast1", "me-central1", "me-west1",
    }
)  # fmt: skip

_ALL_MEDIA = frozenset(Modality)
_TEXT_ONLY = frozenset({Modality.TEXT})
# Audio tuning is documented for the 2.5 models only.
_NO_AUDIO = _ALL_MEDIA - {Modality.AUDIO}

# Tokens one image costs, by the example's or the part's mediaResolution (None: unset).
# Gemini 3: 280 / 560 / 1120, high by default; earlier models: 64 at LOW, 258 otherwise.
_IMAGE_TOKENS_3: Mapping[str | None, int] = {
    "MEDIA_RESOLUTION_LOW": 280,
    "MEDIA_RESOLUTION_MEDIUM": 560,
    "MEDIA_RESOLUTION_HIGH": 1120,
    None: 1120,
}
_IMAGE_TOKENS_EARLIER: Mapping[str | None, int] = {
    "MEDIA_RESOLUTION_LOW": 64,
    "MEDIA_RESOLUTION_MEDIUM": 258,
    "MEDIA_RESOLUTION_HIGH": 258,
    None: 258,
}


@dataclass(frozen=True, slots=True)  # slots: datasets make one per media part
class MediaCounts:
    """Images, videos, audio files and PDFs: what one example holds, or the most a model takes in one."""

    images: int = 0
    videos: int = 0
    audio_files: int = 0
    pdfs: int = 0

    def __add__(self, other: MediaCounts) -> MediaCounts:
        return MediaCounts(
            self.images + other.images,
            self.videos + other.videos,
            self.audio_files + other.audio_files,
            self.pdfs + other.pdfs,
        )

    @property
    def any(self) -> bool:
        return bool(self.images or self.videos or self.audio_files or self.pdfs)

    def first_over(self, limits: MediaCounts) -> tuple[int, int, str] | None:
        """(count, limit, what) of the first kind there is more of than `limits` allows, or None."""
        for count, limit, what in (
            (self.images, limits.images, "images"),
            (self.videos, limits.videos, "videos"),
            (self.audio_files, limits.audio_files, "audio files"),
            (self.pdfs, limits.pdfs, "PDFs"),
        ):
            if count > limit:
                return count, limit, what
        return None


MEDIA_LIMITS = MediaCounts(images=30, videos=1, audio_files=1, pdfs=4)
"""Per-example media limits from the modality pages; an example over one is dropped, not fatal."""


@dataclass(frozen=True)
class BaseModel:
    """One base model: what tuning it takes, where, and when it can be tuned."""

    id: str
    adapter_sizes: tuple[int, ...]
    default_adapter_size: int
    released: dt.date
    retires: dt.date | None = None
    """The retirement date; for a current model Google's "at the earliest" date."""
    successor: str | None = None
    """What Google says to move to when this model retires."""
    confirmed: bool = True
    """False when the model is listed by the API but not on the tuning page (not tuned)."""
    max_tokens_per_example: int = 131_072
    modalities: frozenset[Modality] = _ALL_MEDIA
    dataset_format: DatasetFormat = DatasetFormat.GEMINI
    cmek: bool = True
    regions: frozenset[str] = field(default=TUNING_REGIONS)
    serving: Mapping[str, str] = field(default_factory=dict)
    """Tuning region -> the location whose host serves the tuned model; absent: the same region."""
    max_validation_examples: int = 5000
    validation_share: tuple[int, float] | None = (1000, 0.30)
    """(above this many validation examples, at most this share of the training examples)."""
    max_text_examples: int = 10_000_000
    max_multimodal_examples: int = 300_000
    media: MediaCounts = MEDIA_LIMITS
    image_tokens: Mapping[str | None, int] = field(default_factory=lambda: _IMAGE_TOKENS_EARLIER)
    # Hyperparameters the service picks when the job leaves them out (our emulator's choice too;
    # Vertex derives epochs from the dataset size, 3 is what small datasets get).
    default_epochs: int = 3
    max_epochs: int = 100

    @property
    def multimodal(self) -> bool:
        return self.modalities != _TEXT_ONLY

    def allows_adapter(self, rank: int) -> bool:
        return rank in self.adapter_sizes

    def adapter_sizes_text(self) -> str:
        return ", ".join(str(size) for size in self.adapter_sizes)

    def serving_location(self, tuning_location: str) -> str:
        """The location whose host answers the tuned model's endpoint (3.x: `us` or `eu`)."""
        return self.serving.get(tuning_location, tuning_location)

    def lifecycle(self, on: dt.date) -> Lifecycle:
        if not self.confirmed:
            return Lifecycle.UNCONFIRMED
        if on < self.released:
            return Lifecycle.UNRELEASED
        if self.retires is not None and on >= self.retires:
            return Lifecycle.RETIRED
        if self.retires is not None and (self.retires - on).days <= RETIREMENT_WARNING_DAYS:
            return Lifecycle.RETIRING
        return Lifecycle.CURRENT

    def tunable(self, on: dt.date) -> bool:
        return self.lifecycle(on) in (Lifecycle.CURRENT, Lifecycle.RETIRING)

    def _use_instead(self, on: dt.date) -> str:
        """The first tunable model down the chain of successors, else every model tuned on `on`."""
        successor = find_base_model(self.successor) if self.successor else None
        seen = {self.id}
        while successor is not None and not successor.tunable(on) and successor.id not in seen:
            seen.add(successor.id)
            successor = find_base_model(successor.successor) if successor.successor else None
        if successor is not None and successor.tunable(on):
            return f"use {successor.id}"
        others = [model_id for model_id in current_model_ids(on) if model_id != self.id]
        return f"use one of {', '.join(others)}"

    def refusal(self, on: dt.date) -> str | None:
        """Why this model cannot be tuned on `on`, naming what to use instead; None when it can."""
        state = self.lifecycle(on)
        if state is Lifecycle.RETIRED:
            return f"{self.id} was retired on {self.retires}; {self._use_instead(on)}"
        if state is Lifecycle.UNRELEASED:
            return f"{self.id} was not released until {self.released}; {self._use_instead(on)}"
        if state is Lifecycle.UNCONFIRMED:
            return (
                f"{self.id} is listed by the API but not as a model for supervised tuning; "
                f"{self._use_instead(on)}"
            )
        return None

    def serving_ended(self, on: dt.date) -> str | None:
        """Why a model tuned from this one no longer answers on `on` (None while it serves)."""
        if self.lifecycle(on) is not Lifecycle.RETIRED:
            return None
        return (
            f"its base model {self.id} was retired on {self.retires}, so its tuned endpoint no longer "
            f"serves; tune again on a current model ({self._use_instead(on)})"
        )

    def warning(self, on: dt.date) -> str | None:
        """A warning for a model that retires within RETIREMENT_WARNING_DAYS of `on`."""
        if self.lifecycle(on) is not Lifecycle.RETIRING:
            return None
        days = (self.retires - on).days if self.retires else 0
        return (
            f"{self.id} retires on {self.retires} (in {days} days); its tuned models stop serving then; "
            f"plan to {self._use_instead(on)}"
        )


_US_EU_HOSTS = {"us-central1": "us", "europe-west4": "eu"}
_GEMINI_3_REGIONS = frozenset(_US_EU_HOSTS)

# Each family's shared values; a model's entry states only what differs from its family.
_GEMINI_3 = partial(
    BaseModel,
    adapter_sizes=(1, 2, 4, 8, 16),
    default_adapter_size=8,
    modalities=_NO_AUDIO,
    cmek=False,
    regions=_GEMINI_3_REGIONS,
    serving=_US_EU_HOSTS,
    image_tokens=_IMAGE_TOKENS_3,
)
# Retired 2026-10-20; Google names 3.1 Flash-Lite the successor of 2.5 Flash.
_GEMINI_2_5 = partial(
    BaseModel,
    adapter_sizes=(1, 2, 4, 8, 16),
    default_adapter_size=8,
    released=dt.date(2025, 6, 17),
    retires=dt.date(2026, 10, 20),
    successor="gemini-3.1-flash-lite",
)
# Retired 2026-06-01.
_GEMINI_2_0 = partial(
    BaseModel,
    adapter_sizes=(1, 2, 4, 8),
    default_adapter_size=4,
    retires=dt.date(2026, 6, 1),
    modalities=_NO_AUDIO,
)
# The seed's models: retired 2025-09-24 (1.5) and 2025-04-21 (1.0).
_GEMINI_1_5 = partial(
    BaseModel,
    released=dt.date(2024, 9, 24),
    retires=dt.date(2025, 9, 24),
    max_tokens_per_example=32_000,
)

_CATALOGUE: tuple[BaseModel, ...] = (
    # Current (December 2026). Release dates: a year before Google's earliest retirement date,
    # Google's GA lifetime (our estimate; the pages give only the retirement dates).
    _GEMINI_3("gemini-3.5-flash", released=dt.date(2026, 5, 19), retires=dt.date(2027, 5, 19)),
    _GEMINI_3("gemini-3.1-flash-lite", released=dt.date(2026, 5, 7), retires=dt.date(2027, 5, 7)),
    # Listed in the API reference, missing from the supervised-tuning page: refused until the
    # tuning page lists it (then: `confirmed=True`, nothing else to change).
    _GEMINI_3(
        "gemini-3.5-flash-lite",
        released=dt.date(2026, 5, 19),
        confirmed=False,
        successor="gemini-3.1-flash-lite",
    ),
    BaseModel(
        "translation-llm-002",
        adapter_sizes=(4,),
        default_adapter_size=4,
        released=dt.date(2024, 10, 1),  # our estimate; no retirement announced
        max_tokens_per_example=1_000,
        modalities=_TEXT_ONLY,
        regions=frozenset({"us-central1"}),
        max_validation_examples=1_024,
        validation_share=None,
    ),
    _GEMINI_2_5("gemini-2.5-pro", adapter_sizes=(1, 2, 4, 8), successor="gemini-3.5-flash"),
    _GEMINI_2_5("gemini-2.5-flash"),
    _GEMINI_2_5("gemini-2.5-flash-lite", released=dt.date(2025, 7, 22)),
    _GEMINI_2_0("gemini-2.0-flash-001", released=dt.date(2025, 2, 5), successor="gemini-2.5-flash"),
    _GEMINI_2_0(
        "gemini-2.0-flash-lite-001", released=dt.date(2025, 2, 25), successor="gemini-2.5-flash-lite"
    ),
    _GEMINI_1_5(
        "gemini-1.5-pro-002", adapter_sizes=(1, 4), default_adapter_size=4, successor="gemini-2.5-pro"
    ),
    _GEMINI_1_5(
        "gemini-1.5-flash-002",
        adapter_sizes=(1, 4, 8, 16),
        default_adapter_size=8,
        successor="gemini-2.5-flash",
    ),
    BaseModel(
        "gemini-1.0-pro-002",
        adapter_sizes=(1, 4),
        default_adapter_size=4,
        released=dt.date(2024, 4, 9),  # our estimate: tuning GA in spring 2024
        retires=dt.date(2025, 4, 21),
        successor="gemini-1.5-pro-002",
        max_tokens_per_example=32_000,
        modalities=_TEXT_ONLY,
        dataset_format=DatasetFormat.MESSAGES,
    ),
)
BASE_MODELS: dict[str, BaseModel] = {model.id: model for model in _CATALOGUE}

DEFAULT_MODEL = "gemini-3.1-flash-lite"
"""The model of examples, help texts and fallbacks: tuned today, Google's successor of 2.5 Flash."""

# Limits on datasets that hold for every model.
MAX_DATASET_BYTES = 1024**3
RECOMMENDED_TRAINING_EXAMPLES = (100, 500)
MAX_DISPLAY_NAME_LENGTH = 128
ADAPTER_RANKS: tuple[int, ...] = tuple(sorted(size.rank for size in AdapterSize if size.rank))


def _system_today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


today: Callable[[], dt.date] = _system_today
"""The clock lifecycle checks read: today's date in UTC. Tests replace it (monkeypatch)."""


def find_base_model(model_id: str) -> BaseModel | None:
    """The catalogue entry for a model id, accepting the `publishers/google/models/` long form."""
    return BASE_MODELS.get(model_id.removeprefix("publishers/google/models/"))


def current_model_ids(on: dt.date | None = None) -> list[str]:
    """The models the service tunes on `on` (today by default), in catalogue order."""
    day = on or today()
    return [model.id for model in _CATALOGUE if model.tunable(day)]


def known_model_ids(on: dt.date | None = None) -> str:
    """What may be tuned today, then what retired, for error messages."""
    day = on or today()
    retired = [model.id for model in _CATALOGUE if model.lifecycle(day) is Lifecycle.RETIRED]
    text = ", ".join(current_model_ids(day))
    return text + (" (retired: " + ", ".join(retired) + ")" if retired else "")
