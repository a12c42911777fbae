"""What a tuning run will cost, estimated before it is paid for.

Supervised tuning is billed per training token: the dataset's tokens times the number of epochs.
When the job leaves `epoch_count` out, the service picks it from the dataset's size; the estimate
then uses the catalogue's default for the model and says so. Prices are USD per million training
tokens, keyed by model id, as dated below; a model without a price found is None and the estimate
says so instead of guessing. `vertex-tuning:tuningPricePerMillionTokens` (or the CLI's
`--price-per-million-tokens`) overrides the table, for another date, region or a negotiated rate.

Everything here is an estimate: token counts are approximate (`datasets`), and the bill is the truth.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import catalogue, datasets, spec

PRICE_CONFIG = "vertex-tuning:tuningPricePerMillionTokens"

PRICES_AS_OF = "2026-12-01"
PRICE_SOURCE = (
    "Vertex AI generative AI pricing page (cloud.google.com/vertex-ai/generative-ai/pricing), "
    "supervised tuning, as quoted in public material retrieved " + PRICES_AS_OF
)

TUNING_PRICE_PER_MILLION_TOKENS: dict[str, float | None] = {
    "gemini-2.5-pro": 25.00,
    "gemini-2.5-flash": 5.00,
    "gemini-2.5-flash-lite": 1.50,
    "gemini-2.0-flash-001": 3.00,
    # No published tuning price was found for these: the estimate gives tokens only.
    "gemini-2.0-flash-lite-001": None,
    "gemini-3.5-flash": None,
    "gemini-3.5-flash-lite": None,
    "translation-llm-002": None,
    "gemini-1.5-pro-002": None,
    "gemini-1.5-flash-002": None,
    "gemini-1.0-pro-002": None,
}
"""USD per 1M training tokens, by catalogue model id (see PRICE_SOURCE)."""


@dataclass(frozen=True)
class Estimate:
    """Billable training tokens and, when a price is known, what they cost."""

    model: str
    dataset_tokens: int
    epochs: int
    epochs_given: bool
    price_per_million: float | None
    price_source: str

    @property
    def training_tokens(self) -> int:
        return self.dataset_tokens * self.epochs

    @property
    def cost(self) -> float | None:
        if self.price_per_million is None:
            return None
        return self.training_tokens / 1_000_000 * self.price_per_million

    def line(self) -> str:
        """One line for preview and `dataset validate`, marked as the estimate it is."""
        epochs = (
            f"{self.epochs} epochs"
            if self.epochs_given
            else f"{self.epochs} epochs (the service picks the default from the dataset size; assumed)"
        )
        text = (
            f"estimate: about {self.training_tokens:,} billable training tokens "
            f"({self.dataset_tokens:,} dataset tokens x {epochs}) for {self.model}"
        )
        if self.cost is None:
            return f"{text}; no tuning price is known for this model (set {PRICE_CONFIG} to price it)"
        return (
            f"{text}, about ${self.cost:,.2f} at ${self.price_per_million:g} per 1M tokens "
            f"({self.price_source}); an estimate, not a quote"
        )


def price_per_million(model_id: str, override: str | float | None = None) -> tuple[float | None, str]:
    """(USD per 1M training tokens, where that figure comes from); the override wins."""
    if override is not None:
        value = float(override)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{PRICE_CONFIG} must be a non-negative number of USD, got {override!r}")
        return value, f"from {PRICE_CONFIG}"
    return TUNING_PRICE_PER_MILLION_TOKENS.get(model_id), PRICE_SOURCE


def estimate(
    model: catalogue.BaseModel,
    dataset_tokens: int,
    *,
    epochs: int | None = None,
    price_override: str | float | None = None,
) -> Estimate:
    price, source = price_per_million(model.id, price_override)
    return Estimate(
        model=model.id,
        dataset_tokens=dataset_tokens,
        epochs=epochs if epochs is not None else model.default_epochs,
        epochs_given=epochs is not None,
        price_per_million=price,
        price_source=source,
    )


def estimate_local_dataset(props: Mapping[str, Any], price_override: str | None) -> str | None:
    """The estimate line for checked inputs with a local training dataset, else None.

    Check reads local files anyway; a `gs://` dataset is not read without network, so it has none."""
    path, model_id = props.get("training_dataset"), props.get("base_model")
    if not isinstance(path, str) or not isinstance(model_id, str) or spec.is_unknown(path):
        return None
    model = catalogue.find_base_model(model_id)
    if model is None:
        return None
    report = datasets.validate_dataset_file(Path(path), model, "training")
    epochs = spec.canonical_value("epoch_count", props.get("epoch_count"))
    try:
        found = estimate(
            model,
            report.total_tokens,
            epochs=epochs if isinstance(epochs, int) else None,
            price_override=price_override,
        )
    except ValueError as error:
        return f"warning: {error}"
    return found.line()
