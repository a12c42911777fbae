"""What a TuningJob does with its Vertex job: submit or adopt it, wait for it, cancel it.

Decision 2 (never a second billed job): every job carries an identity label. A create first lists
the jobs with that label and adopts one that is queued, pending, running or succeeded; failed,
cancelled and expired ones are history, never adopted. A create whose answer was lost may have made
the job, so it is looked up again and adopted; a second POST is sent only when repeated lookups
prove the first one made nothing.

Decision 3 (waiting survives everything): the wait polls on `polling.PollPolicy`, prints one line
per state change, rides through outages of the service for a bounded time, and when its deadline
passes it leaves the job running, so the next `pulumi up` adopts it.

Decision 5 (delete cancels): a running job is cancelled and waited until terminal; a finished one
is left alone; a missing one is fine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from . import names, progress, wire
from .client import MetricPoint
from .errors import (
    AmbiguousCreateError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    TransportError,
    UnavailableError,
    VertexTuningError,
)
from .polling import DEFAULT_POLICY, PollPolicy
from .progress import stderr_line as stderr_line  # re-exported: the provider writes with it too
from .spec import ID_LABEL

JobState = wire.JobState

ADOPTABLE_STATES = frozenset({JobState.QUEUED, JobState.PENDING, JobState.RUNNING, JobState.SUCCEEDED})
"""A job in one of these states is still, or already successfully, doing what we asked: adopt it."""

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    TransportError,
    UnavailableError,
    InternalError,
    DeadlineExceededError,
    ResourceExhaustedError,
)
"""Errors that outlived the client's own retries but say nothing about the job: keep polling."""

# After a lost create answer: look again after these pauses before deciding nothing was created.
AMBIGUOUS_LOOKUP_DELAYS = (0.5, 1.0, 2.0, 4.0)
DEFAULT_OUTAGE_BUDGET = 300.0
DEFAULT_CANCEL_TIMEOUT = 30 * 60.0


class JobClient(Protocol):
    """The part of `client.VertexClient` the lifecycle uses (a fake in unit tests)."""

    def create_tuning_job(self, project: str, location: str, job: wire.TuningJob) -> wire.TuningJob: ...

    def get_tuning_job(self, name: str) -> wire.TuningJob: ...

    def list_tuning_jobs(
        self, project: str, location: str, *, filter: str | None = None, page_size: int | None = None
    ) -> Iterator[wire.TuningJob]: ...

    def cancel_tuning_job(self, name: str) -> None: ...

    def read_metrics(self, job: wire.TuningJob) -> dict[str, list[MetricPoint]]: ...


class TuningJobFailedError(VertexTuningError):
    """The job ended in a state other than SUCCEEDED."""


class WaitTimeoutError(VertexTuningError):
    """The wait's deadline passed; the job keeps running and the next create adopts it."""


class WaitInterruptedError(VertexTuningError):
    """Waiting failed (an error polling could not ride through); the job keeps running."""

    def __init__(self, job_name: str, error: Exception) -> None:
        super().__init__(
            f"Tuning job {job_name} keeps running, but waiting for it failed: {error}. Fix that, then run "
            "`pulumi up` again: the next create adopts this job, it never starts a second one. If it is "
            f"no longer wanted, stop it with `vertex-tuning jobs cancel {job_name}`."
        )


_NEXT_STEPS = {
    JobState.FAILED: (
        "Fix what the message names (for a dataset problem, fix the file and check it with "
        "`vertex-tuning dataset validate`), then run `pulumi up` again: a failed job is never adopted, "
        "so that starts a new job."
    ),
    JobState.CANCELLED: (
        "It was cancelled outside this deployment; run `pulumi up` again to start a new job."
    ),
    JobState.EXPIRED: "It ran past the service's time limit; run `pulumi up` again to start a new job.",
    JobState.PARTIALLY_SUCCEEDED: (
        "It did not complete; inspect it in the console, then run `pulumi up` again to start a new job."
    ),
}


@dataclass
class Lifecycle:
    """The three operations on one client; clock, sleep and log are injectable for tests."""

    client: JobClient
    policy: PollPolicy = DEFAULT_POLICY
    log: Callable[[str], None] = stderr_line
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    outage_budget: float = DEFAULT_OUTAGE_BUDGET
    """How long polling rides through failing calls (e.g. a restarting service) before giving up."""
    cancel_timeout: float = DEFAULT_CANCEL_TIMEOUT
    ambiguous_lookup_delays: tuple[float, ...] = AMBIGUOUS_LOOKUP_DELAYS
    heartbeat_seconds: float = progress.DEFAULT_HEARTBEAT_SECONDS
    """Longest silence while waiting (`progress.Heartbeat`)."""
    _states: dict[str, JobState] = field(default_factory=dict, init=False, repr=False)
    """The last state reported per job: a Lifecycle serves one operation, so this is never shared."""

    # --- submit or adopt ------------------------------------------------------------------

    def submit_or_adopt(
        self,
        job: wire.TuningJob,
        project: str,
        location: str,
        *,
        claimed: Collection[str] = (),
        replacing_since: datetime | None = None,
    ) -> wire.TuningJob:
        """The job this resource owns: an adoptable one carrying the same identity label, else a new one.

        `claimed` names jobs that other resources of this deployment own (a `--replace` with
        identical inputs must make a new job, not adopt the one it replaces). `replacing_since`,
        when this create replaces an existing resource, is when the job that resource owns was
        created: an older labelled job is an earlier generation (retired by a previous `--replace`,
        or made before `triggers` changed and changed back), never adopted."""
        label = (job.labels or {})[ID_LABEL]
        labelled = self._labelled_jobs(project, location, label)
        adoptable = [
            found
            for found in labelled
            if found.job_state in ADOPTABLE_STATES
            and found.name not in claimed
            and (replacing_since is None or (found.create_time or replacing_since) > replacing_since)
        ]
        if adoptable:
            chosen = max(adoptable, key=_adoption_rank)
            self.log(f"adopting {chosen.name} ({chosen.job_state.short}) instead of starting another job")
            return chosen
        return self._create(job, project, location, seen={found.name for found in labelled})

    def _create(
        self, job: wire.TuningJob, project: str, location: str, seen: set[str | None]
    ) -> wire.TuningJob:
        try:
            return self.client.create_tuning_job(project, location, job)
        except AmbiguousCreateError as error:
            self.log(f"the answer to the create was lost ({error.reason}); looking the job up")
        made = self._find_new_job(project, location, (job.labels or {})[ID_LABEL], seen)
        if made is not None:
            self.log(f"found {made.name}: the create had gone through; adopting it")
            return made
        self.log("no job was created; sending the create again")
        try:
            return self.client.create_tuning_job(project, location, job)
        except AmbiguousCreateError as error:
            raise TuningJobFailedError(
                f"The answer to a create in {location} was lost twice ({error.reason}); a job may exist. "
                "Run `pulumi up` again: it adopts the job if one was made and creates it otherwise."
            ) from error

    def _find_new_job(
        self, project: str, location: str, label: str, seen: set[str | None]
    ) -> wire.TuningJob | None:
        """The labelled job that was not there before the lost create, in any state (it is ours)."""
        lookups_failed = 0
        for delay in self.ambiguous_lookup_delays:
            self.sleep(delay)
            try:
                new = [job for job in self._labelled_jobs(project, location, label) if job.name not in seen]
            except TRANSIENT_ERRORS:
                lookups_failed += 1
                continue
            if new:
                return max(new, key=_adoption_rank)
        if lookups_failed:
            # Absence is proven only by lookups that answered; without that, never risk a second job.
            raise TuningJobFailedError(
                f"A create in {location} was sent but its answer was lost, and {lookups_failed} of "
                f"{len(self.ambiguous_lookup_delays)} lookups failed too, so whether a job exists is "
                "unknown. Run `pulumi up` again: it adopts the job if it exists and creates it otherwise."
            )
        return None

    def _labelled_jobs(self, project: str, location: str, label: str) -> list[wire.TuningJob]:
        """Jobs carrying the label, checked locally too: label filters are not confirmed to work."""
        try:
            jobs = list(
                self.client.list_tuning_jobs(project, location, filter=f'labels.{ID_LABEL}="{label}"')
            )
        except InvalidArgumentError:
            jobs = list(self.client.list_tuning_jobs(project, location))
        return [job for job in jobs if (job.labels or {}).get(ID_LABEL) == label]

    # --- wait -----------------------------------------------------------------------------

    def wait(self, job: wire.TuningJob, timeout_seconds: float) -> wire.TuningJob:
        """The job once SUCCEEDED; TuningJobFailedError for another end; WaitTimeoutError at the deadline."""
        final = self._poll_until_terminal(job, timeout_seconds)
        if final is None:
            latest = self._states.get(job.name or "", job.job_state)
            raise WaitTimeoutError(
                f"Tuning job {job.name} is still {latest.short} after waiting "
                f"{_duration(timeout_seconds)} (wait_timeout_minutes). It keeps running: run `pulumi up` "
                "again to keep waiting (the next create adopts this job, it never starts a second one), "
                "or raise wait_timeout_minutes. If it is no longer wanted, stop it with "
                f"`vertex-tuning jobs cancel {job.name}`: nothing else will, since no resource owns it yet."
            )
        if final.job_state is not JobState.SUCCEEDED:
            message = final.error.message if final.error and final.error.message else "no message"
            raise TuningJobFailedError(
                f"Tuning job {final.name} ended {final.job_state.short}: {message.rstrip('.')}. "
                + _NEXT_STEPS.get(final.job_state, "Run `pulumi up` again to start a new job.")
            )
        return final

    def until_terminal(self, job: wire.TuningJob, timeout_seconds: float) -> wire.TuningJob | None:
        """The job once it ended in any state, or None at the deadline (`vertex-tuning jobs watch`)."""
        return self._poll_until_terminal(job, timeout_seconds)

    def _poll_until_terminal(self, job: wire.TuningJob, timeout_seconds: float) -> wire.TuningJob | None:
        """The job in a terminal state, or None when the deadline passed first."""
        name = str(job.name)
        start = self.clock()
        self._report(job, start, first=True)
        if job.job_state.is_terminal:
            return job
        heartbeat = progress.Heartbeat(job, start, self.clock, self.log, self.heartbeat_seconds)
        failing_since: float | None = None
        for delay in self.policy.delays_until(start + timeout_seconds, self.clock):
            heartbeat.pause(delay, self.sleep)
            try:
                job = self.client.get_tuning_job(name)
            except TRANSIENT_ERRORS as error:
                failing_since = self._ride_through(error, failing_since)
                continue
            failing_since = None
            heartbeat.observed(job)
            self._report(job, start)
            if job.job_state.is_terminal:
                return job
        return None

    def _ride_through(self, error: Exception, failing_since: float | None) -> float:
        now = self.clock()
        if failing_since is None:
            self.log(f"the service did not answer ({error}); still polling")
            return now
        if now - failing_since > self.outage_budget:
            raise error
        return failing_since

    def _report(self, job: wire.TuningJob, start: float, *, first: bool = False) -> None:
        """One line when a job's state changes; the first line also links to the console."""
        name, state = str(job.name), job.job_state
        if not first and self._states.get(name) is state:
            return
        self._states[name] = state
        line = f"{name} is {state.short} after {_duration(self.clock() - start)}"
        if progress.detail(job):
            line += f" ({progress.detail(job)})"
        if first:
            line += f"; follow it at {names.console_url(name)}"
        self.log(line)

    # --- cancel ---------------------------------------------------------------------------

    def cancel_and_wait(self, name: str) -> wire.TuningJob | None:
        """Cancel a running job and wait until it stops; leave a finished one alone; None if it is gone."""
        try:
            job = self.client.get_tuning_job(name)
            if job.job_state.is_terminal:
                self._leave_finished(job)
                return job
            if job.job_state is not JobState.CANCELLING:
                self.client.cancel_tuning_job(name)
                self.log(f"cancelling {name} (it was {job.job_state.short})")
        except NotFoundError:
            self.log(f"{name} no longer exists; nothing to cancel")
            return None
        except FailedPreconditionError:
            pass  # it finished between the GET and the cancel: the wait below sees its end state
        final = self._poll_until_terminal(job, self.cancel_timeout)
        if final is None:
            raise WaitTimeoutError(
                f"Tuning job {name} did not stop within {_duration(self.cancel_timeout)} of being cancelled; "
                "run `pulumi destroy` again to keep waiting."
            )
        return final

    def _leave_finished(self, job: wire.TuningJob) -> None:
        line = f"{job.name} already ended {job.job_state.short}; nothing to cancel."
        tuned = job.tuned_model
        if tuned and (tuned.model or tuned.endpoint):
            line += (
                f" The tuned model {tuned.model} and endpoint {tuned.endpoint} remain (the tuning API "
                "cannot delete them); undeploy and delete them in the console if no longer needed."
            )
        self.log(line)


def _adoption_rank(job: wire.TuningJob) -> tuple[bool, float]:
    """Prefer a succeeded job, then the newest."""
    created = job.create_time.timestamp() if job.create_time else 0.0
    return (job.job_state is JobState.SUCCEEDED, created)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
