"""Each job's training outcome, decided at the first read after the job started, and kept.

A read never writes: the outcome a read computes is held here in memory (every later reader
gets the same one), and written to the store by the next mutating call or a clean stop
(`settle`). Once stored, the store's copy is the one read, across restarts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from .outcome import TrainingOutcome
from .store import JobRow, Store


@dataclass(frozen=True)
class Trained:
    """What training gave a job: its outcome, what its endpoints answer from, its checkpoints' endpoints."""

    outcome: TrainingOutcome
    exchanges: list[list[str]]
    checkpoint_endpoints: dict[str, str]


class Outcomes:
    def __init__(self, store: Store, train: Callable[[JobRow], Trained]) -> None:
        self.store = store
        self._train = train
        self._lock = threading.Lock()
        self._unsettled: dict[str, Trained] = {}

    def outcome(self, row: JobRow) -> TrainingOutcome:
        if row.outcome is not None:
            return row.outcome
        return self._trained(row).outcome

    def exchanges(self, row: JobRow) -> list[list[str]]:
        """(system, prompt, answer) triples the job was trained on."""
        held = self._held(row.id)
        return held.exchanges if held is not None else self.store.exchanges(row.id)

    def checkpoint_endpoints(self, row: JobRow) -> dict[str, str]:
        """{checkpoint id: endpoint id} of a job's exported checkpoints with their own endpoint."""
        held = self._held(row.id)
        if held is None:
            return self.store.checkpoint_endpoints(row.id)
        return dict(held.checkpoint_endpoints)

    def checkpoint_endpoint(self, endpoint_id: str) -> tuple[str, str] | None:
        """(job id, checkpoint id) behind a checkpoint's own endpoint."""
        with self._lock:
            for job_id, held in self._unsettled.items():
                for checkpoint, endpoint in held.checkpoint_endpoints.items():
                    if endpoint == endpoint_id:
                        return job_id, checkpoint
        return self.store.checkpoint_endpoint(endpoint_id)

    def settle(self) -> None:
        """Store every outcome decided so far (a mutating call, or a clean stop)."""
        with self._lock:
            unsettled, self._unsettled = self._unsettled, {}
        for job_id, held in unsettled.items():
            self.store.settle_outcome(job_id, held.outcome, held.exchanges, held.checkpoint_endpoints)

    def _held(self, job_id: str) -> Trained | None:
        with self._lock:
            return self._unsettled.get(job_id)

    def _trained(self, row: JobRow) -> Trained:
        held = self._held(row.id)
        if held is not None:
            return held
        # Outside the lock: a large dataset's check must not hold up other jobs' reads.
        trained = self._train(row)
        with self._lock:
            stored = self.store.job(row.id)
            if stored is not None and stored.outcome is not None:  # settled meanwhile
                return Trained(stored.outcome, [], {})
            return self._unsettled.setdefault(row.id, trained)
