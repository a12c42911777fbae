"""What training on a job's datasets gave: the verdict, the resolved settings, the data stats.

Produced by `training.train`, settled once per job, stored by `store` (the only place that turns
it into JSON and back) and read by attribute everywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TrainingOutcome:
    # Why the job FAILED (the dataset's file, line and problem); None: it trains.
    failure: str | None = None
    epochs: int = 0
    adapter_size: str = ""
    learning_rate_multiplier: float = 1.0
    steps_per_epoch: int = 0
    steps: int = 0
    # Whether a validation dataset was given (the eval_* series exist).
    validation: bool = False
    last_checkpoint_only: bool = False
    # SupervisedTuningDataStats in its JSON form.
    stats: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def failed(cls, failure: str) -> TrainingOutcome:
        return cls(failure=failure)

    def checkpoints(self) -> list[tuple[str, int, int]]:
        """(checkpoint id, epoch, step) per exported checkpoint: every epoch, or only the last."""
        first = self.epochs if self.last_checkpoint_only else 1
        return [(str(epoch), epoch, epoch * self.steps_per_epoch) for epoch in range(first, self.epochs + 1)]
