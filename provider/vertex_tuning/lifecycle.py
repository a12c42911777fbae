"""What a TuningJob does with its Vertex job: submit or adopt it, wait for it, cancel it.

Decision 2 (never a second billed job): which job a resource owns is `ownership`'s business; here a
create whose answer was lost (or unusable) may have made the job, so it is looked up again and
adopted; a second POST is sent only when repeated lookups found nothing. A late commit after that is
a duplicate that `ownership` cancels while the wait polls.

Decision 3 (waiting survives everything): the wait polls on `polling.PollPolicy`, prints one line
per state change, rides through outages of the service for a bounded time, and when its deadline
passes it leaves the job running, so the next `pulumi up` adopts it.

Decision 5 (delete cancels): a running job is cancelled and waited until terminal; a finished one
is left alone; a missing one is fine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import ValidationError

from . import progress, wire
from .errors import (
    AmbiguousCreateError,
    ApiError,
    ConfigurationError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    InvalidNameError,
    NotFoundError,
    ResourceExhaustedError,
    TransportError,
    TuningJobFailedError,
    UnavailableError,
    VertexTuningError,
    WaitTimeoutError,
)
from .metrics_reader import MetricPoint
from .names import LocationName, TuningJobName
from .polling import DEFAULT_POLICY, PollPolicy
from .progress import stderr_line
from .spec import ID_LABEL

JobState = wire.JobState
Reconcile = Callable[[wire.TuningJob], wire.TuningJob]

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
# After a second lost answer no third create is sent; these lookups give a late commit about two
# minutes to show up, so it is adopted and waited on (and any second one cancelled), not left unowned.
LATE_COMMIT_LOOKUP_DELAYS = (8.0, 15.0, 30.0, 60.0)
DEFAULT_OUTAGE_BUDGET = 300.0
DEFAULT_CANCEL_TIMEOUT = 30 * 60.0


class JobClient(Protocol):
    """The part of `client.VertexClient` the lifecycle uses (a fake in unit tests)."""

    def create_tuning_job(self, parent: LocationName, job: wire.TuningJob) -> wire.TuningJob: ...

    def get_tuning_job(self, name: TuningJobName) -> wire.TuningJob: ...

    def list_tuning_jobs(
        self, parent: LocationName, *, filter: str | None = None, page_size: int | None = None
    ) -> Iterator[wire.TuningJob]: ...

    def cancel_tuning_job(self, name: TuningJobName) -> None: ...

    def read_metrics(self, job: wire.TuningJob) -> dict[str, list[MetricPoint]]: ...


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
    late_commit_lookup_delays: tuple[float, ...] = LATE_COMMIT_LOOKUP_DELAYS
    heartbeat_seconds: float = progress.DEFAULT_HEARTBEAT_SECONDS
    """Longest silence while waiting (`progress.Heartbeat`)."""
    _changes: progress.StateChanges = field(default_factory=progress.StateChanges, init=False, repr=False)
    """The last state reported per job: a Lifecycle serves one operation, so this is never shared."""

    # --- create ---------------------------------------------------------------------------

    def create_new(self, job: wire.TuningJob, parent: LocationName, seen: set[str | None]) -> wire.TuningJob:
        """Create the job; after a lost or unusable answer, look it up before ever sending it again.

        `seen` names the labelled jobs that existed before: a new one after a lost answer is ours.
        Which of several jobs the resource keeps is `ownership`'s business, not this one's."""
        label = (job.labels or {})[ID_LABEL]
        for attempt in (1, 2):
            try:
                return self._submit(job, parent)
            except AmbiguousCreateError as error:
                self.log(f"the answer to the create was lost ({error.reason}); looking the job up")
                lost = error
            made = self._find_new_job(parent, label, seen, self.ambiguous_lookup_delays)
            if made is None and attempt == 2:
                self.log("still no job; looking for a late commit before giving up")
                made = self._find_new_job(parent, label, seen, self.late_commit_lookup_delays)
            if made is not None:
                self.log(f"found {made.name}: the create had gone through; adopting it")
                return made
            if attempt == 1:
                self.log("no job was created; sending the create again")
        raise TuningJobFailedError(
            f"The answer to a create in {parent.location} was lost twice ({lost.reason}) and no job turned "
            "up; one may still appear. Run `pulumi up` again: it adopts the job if one was made, cancels any "
            "second one, and creates it otherwise."
        ) from lost

    def _submit(self, job: wire.TuningJob, parent: LocationName) -> wire.TuningJob:
        """One create; an answer that names no job (truncated, HTML, `{}`) is as good as lost."""
        resource = f"{parent}/tuningJobs"
        try:
            created = self.client.create_tuning_job(parent, job)
        except (ApiError, TransportError, ConfigurationError):
            raise  # a refusal, a lost answer, or a request never sent: each says what it is
        except (VertexTuningError, ValidationError) as error:
            reason = f"an unusable answer: {_first_line(error)}"
            raise AmbiguousCreateError(method="POST", resource=resource, reason=reason) from error
        try:
            TuningJobName.parse(created.name)
        except InvalidNameError:
            reason = "an answer naming no job" + (
                f" ({created.name!r} is not a job name)" if created.name else ""
            )
            raise AmbiguousCreateError(method="POST", resource=resource, reason=reason) from None
        return created

    def _find_new_job(
        self, parent: LocationName, label: str, seen: set[str | None], delays: tuple[float, ...]
    ) -> wire.TuningJob | None:
        """The labelled job that was not there before the lost create, in any state (it is ours)."""
        lookups_failed = 0
        for delay in delays:
            self.sleep(delay)
            try:
                new = [job for job in self.labelled_jobs(parent, label) if job.name not in seen]
            except TRANSIENT_ERRORS:
                lookups_failed += 1
                continue
            if new:
                return min(new, key=oldest_first)
        if lookups_failed:
            # Absence is proven only by lookups that answered; without that, never risk a second job.
            raise TuningJobFailedError(
                f"A create in {parent.location} was sent but its answer was lost, and {lookups_failed} of "
                f"{len(delays)} lookups failed too, so whether a job exists is "
                "unknown. Run `pulumi up` again: it adopts the job if it exists and creates it otherwise."
            )
        return None

    def labelled_jobs(self, parent: LocationName, label: str) -> list[wire.TuningJob]:
        """Jobs carrying the label, checked locally too: label filters are not confirmed to work."""
        try:
            jobs = list(self.client.list_tuning_jobs(parent, filter=f'labels.{ID_LABEL}="{label}"'))
        except InvalidArgumentError:
            jobs = list(self.client.list_tuning_jobs(parent))
        return [job for job in jobs if (job.labels or {}).get(ID_LABEL) == label]

    # --- wait -----------------------------------------------------------------------------

    def wait(
        self, job: wire.TuningJob, timeout_seconds: float, *, reconcile: Reconcile | None = None
    ) -> wire.TuningJob:
        """The job once SUCCEEDED; TuningJobFailedError for another end; WaitTimeoutError at the deadline.

        `reconcile`, given each polled job, returns the job to follow from then on (`ownership`
        cancels duplicates there and may switch to an older job)."""
        final, ended = self._poll_until_terminal(job, timeout_seconds, reconcile)
        if not ended:
            raise WaitTimeoutError(
                f"Tuning job {final.name} is still {final.job_state.short} after waiting "
                f"{progress.duration(timeout_seconds)} (wait_timeout_minutes). It keeps running: run "
                "`pulumi up` again to keep waiting (the next create adopts this job, it never starts a "
                "second one), or raise wait_timeout_minutes. If it is no longer wanted, stop it with "
                f"`vertex-tuning jobs cancel {final.name}`: nothing else will, since no resource owns it yet."
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
        final, ended = self._poll_until_terminal(job, timeout_seconds)
        return final if ended else None

    def _poll_until_terminal(
        self, job: wire.TuningJob, timeout_seconds: float, reconcile: Reconcile | None = None
    ) -> tuple[wire.TuningJob, bool]:
        """The job last seen, and whether it ended (False: the deadline passed first)."""
        start = self.clock()
        self._report(job, start, first=True)
        if job.job_state.is_terminal:
            return job, True
        heartbeat = progress.Heartbeat(job, start, self.clock, self.log, self.heartbeat_seconds)
        failing_since: float | None = None
        for delay in self.policy.delays_until(start + timeout_seconds, self.clock):
            heartbeat.pause(delay, self.sleep)
            try:
                job = self.client.get_tuning_job(TuningJobName.parse(job.name))
            except TRANSIENT_ERRORS as error:
                failing_since = self._ride_through(error, failing_since)
                continue
            failing_since = None
            if reconcile is not None:
                job = reconcile(job)
            heartbeat.observed(job)
            self._report(job, start)
            if job.job_state.is_terminal:
                return job, True
        return job, False

    def _ride_through(self, error: Exception, failing_since: float | None) -> float:
        now = self.clock()
        if failing_since is None:
            self.log(f"the service did not answer ({error}); still polling")
            return now
        if now - failing_since > self.outage_budget:
            raise error
        return failing_since

    def _report(self, job: wire.TuningJob, start: float, *, first: bool = False) -> None:
        line = self._changes.line(job, self.clock() - start, first=first)
        if line is not None:
            self.log(line)

    # --- cancel ---------------------------------------------------------------------------

    def cancel_and_wait(self, name: TuningJobName) -> wire.TuningJob | None:
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
        final, ended = self._poll_until_terminal(job, self.cancel_timeout)
        if not ended:
            raise WaitTimeoutError(
                f"Tuning job {name} did not stop within {progress.duration(self.cancel_timeout)} of being "
                "cancelled; run `pulumi destroy` again to keep waiting."
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


def oldest_first(job: wire.TuningJob) -> tuple[float, str]:
    """Sort key: the earliest created first, then by name (a total order)."""
    created = job.create_time.timestamp() if job.create_time else float("inf")
    return (created, str(job.name))


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
