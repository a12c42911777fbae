"""A job's state at a moment, derived from what was stored: when it was created, how long it takes,
when a cancel came, its controls and its dataset's verdict. Nothing here writes.

Without a quota a job holds its slot from creation. With one (`max_concurrent_jobs`, project-wide
like the service's "concurrent tuning jobs" quota) jobs take slots in creation order, and a job
waits in PENDING (`tuningJobState` WAITING_FOR_QUOTA) until an earlier one has finished.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass

from ..wire import JobState, Status
from .outcome import TrainingOutcome
from .store import JobRow

# Shares of a job's duration from its slot: dataset processing, then waiting for capacity, then
# training; a cancel takes a tenth to settle.
PROCESSING_SHARE = 0.1
PENDING_SHARE = 0.2
CANCEL_SHARE = 0.1
STICKABLE = (JobState.PENDING, JobState.RUNNING)
# v1beta1 `tuningJobState` values.
WAITING_FOR_QUOTA = "TUNING_JOB_STATE_WAITING_FOR_QUOTA"
PROCESSING_DATASET = "TUNING_JOB_STATE_PROCESSING_DATASET"
WAITING_FOR_CAPACITY = "TUNING_JOB_STATE_WAITING_FOR_CAPACITY"
TUNING = "TUNING_JOB_STATE_TUNING"
POST_PROCESSING = "TUNING_JOB_STATE_POST_PROCESSING"


@dataclass(frozen=True)
class Phase:
    state: JobState
    update: float
    start: float | None = None
    end: float | None = None
    error: Status | None = None
    # When the job got its quota slot (None: cancelled while waiting) and when training would end.
    slot: float | None = None
    training_end: float = math.inf


Outcome = Callable[[JobRow], TrainingOutcome]


def slots(rows: list[JobRow], limit: int | None, outcome: Outcome, now: float) -> dict[str, float | None]:
    """When each job (oldest first) took its slot under a quota of `limit` concurrent jobs."""
    if limit is None:
        return {row.id: row.created for row in rows}
    taken: dict[str, float | None] = {}
    holders: list[float] = []  # when each slot holder lets go
    for row in rows:
        while holders and holders[0] <= row.created:
            heapq.heappop(holders)
        slot = row.created if len(holders) < limit else holders[0]
        if row.cancelled is not None and row.cancelled < slot:
            taken[row.id] = None  # cancelled while waiting: it never held a slot
            continue
        if len(holders) >= limit:
            heapq.heappop(holders)
        taken[row.id] = slot
        heapq.heappush(holders, _release(row, slot, outcome, now))
    return taken


def _release(row: JobRow, slot: float, outcome: Outcome, now: float) -> float:
    started = slot + PENDING_SHARE * row.duration
    if row.cancelled is not None and not row.controls.get("ignoreCancel"):
        return row.cancelled + CANCEL_SHARE * row.duration
    if row.controls.get("stuck"):
        return math.inf
    if started <= now and outcome(row).failure:
        return started
    return slot + row.duration


def phase(row: JobRow, slot: float | None, outcome: Outcome, now: float) -> Phase:
    stuck = row.controls.get("stuck")
    cancelled = None if row.controls.get("ignoreCancel") else row.cancelled
    if slot is None:  # cancelled while waiting for quota
        assert row.cancelled is not None
        settled = row.cancelled + CANCEL_SHARE * row.duration
        if now < settled:
            return Phase(JobState.CANCELLING, row.cancelled)
        return Phase(JobState.CANCELLED, settled, None, settled, Status(code=1, message="CANCELLED"))
    started = slot + PENDING_SHARE * row.duration
    finished = slot + row.duration
    if cancelled is not None:
        was_running = cancelled >= started and stuck != JobState.PENDING.value
        settled = cancelled + CANCEL_SHARE * row.duration
        start = started if was_running else None
        if now < settled:
            return Phase(JobState.CANCELLING, cancelled, start=start, slot=slot, training_end=finished)
        error = Status(code=1, message="CANCELLED")
        return Phase(JobState.CANCELLED, settled, start, settled, error, slot=slot, training_end=finished)
    # A cancel the job did not heed shows CANCELLING until the job ends as it would have.
    heeded = row.cancelled is not None
    if stuck == JobState.PENDING.value or now < started:
        state = JobState.CANCELLING if heeded else JobState.PENDING
        return Phase(state, row.cancelled or row.created, slot=slot, training_end=finished)
    failure = outcome(row).failure
    if failure:
        error = Status(code=3, message=failure)
        return Phase(JobState.FAILED, started, started, started, error, slot=slot, training_end=finished)
    if stuck == JobState.RUNNING.value or now < finished:
        state = JobState.CANCELLING if heeded else JobState.RUNNING
        return Phase(state, max(started, row.cancelled or 0), started, slot=slot, training_end=finished)
    if row.controls.get("fail"):
        error = Status(code=13, message=row.controls["fail"])
        return Phase(JobState.FAILED, finished, started, finished, error, slot=slot, training_end=finished)
    return Phase(JobState.SUCCEEDED, finished, started, finished, slot=slot, training_end=finished)


def completed_steps(phase: Phase, outcome: TrainingOutcome, now: float) -> int:
    """Training steps done by `now` (the metrics series have a point for each)."""
    if phase.start is None or outcome.failure:
        return 0
    return len(step_times(phase, outcome, now))


def step_times(phase: Phase, outcome: TrainingOutcome, now: float) -> list[tuple[int, float]]:
    """(step, when) of every training step recorded by `now`: steps are spread evenly over the
    planned training time, and stop where a cancel or failure stopped training."""
    assert phase.start is not None
    steps = outcome.steps
    first, last = phase.start, phase.training_end
    stop = min(now, phase.end if phase.end is not None else now, last)
    times = [(step, first + (last - first) * step / steps) for step in range(1, steps + 1)]
    return [(step, when) for step, when in times if when <= stop]


def tuning_job_state(phase: Phase, now: float, duration: float, steps_left: bool) -> str | None:
    """v1beta1's finer state while a job is PENDING or RUNNING; none once it has ended."""
    if phase.state is JobState.PENDING:
        assert phase.slot is not None
        if now < phase.slot:
            return WAITING_FOR_QUOTA
        if now < phase.slot + PROCESSING_SHARE * duration:
            return PROCESSING_DATASET
        return WAITING_FOR_CAPACITY
    if phase.state is JobState.RUNNING:
        return TUNING if steps_left else POST_PROCESSING
    return None
