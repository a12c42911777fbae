"""Which base models can be tuned, and with what: the one place a new Gemini release is added.

The provider's check, the CLI's dataset validation and the emulator all read this table, so the
three can never disagree about a model. Facts are from the reference notes (late 2026); where the
service publishes no number, the choice is ours and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .wire import AdapterSize


class DatasetFormat(str, Enum):
    GEMINI = "gemini"
    """`{"systemInstruction": ..., "contents": [{"role": "user", "parts": [...]}, ...]}`"""
    MESSAGES = "messages"
    """The legacy gemini-1.0-pro-002 form: `{"messages": [{"role": ..., "content": ...}]}`."""


# Vertex AI regions that offer Gemini supervised tuning. Models restricted further list their own.
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


@dataclass(frozen=True)
class BaseModel:
    """One tunable base model and the limits the tuning service applies to it."""

    id: str
    adapter_sizes: tuple[int, ...]
    default_adapter_size: int
    max_tokens_per_example: int = 131_072
    multimodal: bool = True
    dataset_format: DatasetFormat = DatasetFormat.GEMINI
    cmek: bool = True
    regions: frozenset[str] = field(default=TUNING_REGIONS)
    legacy: bool = False
    # Hyperparameters the service picks when the job leaves them out (our emulator's choice too;
    # Vertex derives epochs from the dataset size, 3 is what small datasets get).
    default_epochs: int = 3
    max_epochs: int = 100

    def allows_adapter(self, rank: int) -> bool:
        return rank in self.adapter_sizes

    def adapter_sizes_text(self) -> str:
        return ", ".join(str(size) for size in self.adapter_sizes)


_GEMINI_3_REGIONS = frozenset({"us-central1", "europe-west4"})

BASE_MODELS: dict[str, BaseModel] = {
    model.id: model
    for model in [
        # Current.
        BaseModel("gemini-2.5-pro", adapter_sizes=(1, 2, 4, 8), default_adapter_size=8),
        BaseModel("gemini-2.5-flash", adapter_sizes=(1, 2, 4, 8, 16), default_adapter_size=8),
        BaseModel("gemini-2.5-flash-lite", adapter_sizes=(1, 2, 4, 8, 16), default_adapter_size=8),
        BaseModel(
            "gemini-3.5-flash",
            adapter_sizes=(1, 2, 4, 8, 16),
            default_adapter_size=8,
            cmek=False,
            regions=_GEMINI_3_REGIONS,
        ),
        BaseModel(
            "gemini-3.5-flash-lite",
            adapter_sizes=(1, 2, 4, 8, 16),
            default_adapter_size=8,
            cmek=False,
            regions=_GEMINI_3_REGIONS,
        ),
        BaseModel(
            "translation-llm-002",
            adapter_sizes=(4,),
            default_adapter_size=4,
            multimodal=False,
        ),
        # Being retired.
        BaseModel("gemini-2.0-flash-001", adapter_sizes=(1, 2, 4, 8), default_adapter_size=4, legacy=True),
        BaseModel(
            "gemini-2.0-flash-lite-001", adapter_sizes=(1, 2, 4, 8), default_adapter_size=4, legacy=True
        ),
        # Legacy.
        BaseModel(
            "gemini-1.5-pro-002",
            adapter_sizes=(1, 4),
            default_adapter_size=4,
            max_tokens_per_example=32_000,
            legacy=True,
        ),
        BaseModel(
            "gemini-1.5-flash-002",
            adapter_sizes=(1, 4, 8, 16),
            default_adapter_size=8,
            max_tokens_per_example=32_000,
            legacy=True,
        ),
        BaseModel(
            "gemini-1.0-pro-002",
            adapter_sizes=(1, 4),
            default_adapter_size=4,
            max_tokens_per_example=32_000,
            multimodal=False,
            dataset_format=DatasetFormat.MESSAGES,
            legacy=True,
        ),
    ]
}

# Limits on datasets that hold for every model.
MAX_DATASET_BYTES = 1024**3
MAX_VALIDATION_EXAMPLES = 5000
MAX_IMAGES_PER_EXAMPLE = 30
RECOMMENDED_TRAINING_EXAMPLES = (100, 500)
MAX_DISPLAY_NAME_LENGTH = 128
ADAPTER_RANKS: tuple[int, ...] = tuple(sorted(size.rank for size in AdapterSize if size.rank))


def find_base_model(model_id: str) -> BaseModel | None:
    """The catalogue entry for a model id, accepting the `publishers/google/models/` long form."""
    return BASE_MODELS.get(model_id.removeprefix("publishers/google/models/"))


def known_model_ids() -> str:
    """Current models first, for error messages that list what may be used."""
    current = [m.id for m in BASE_MODELS.values() if not m.legacy]
    legacy = [m.id for m in BASE_MODELS.values() if m.legacy]
    return ", ".join(current) + " (legacy: " + ", ".join(legacy) + ")"
