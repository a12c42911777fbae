"""An in-memory tuning service on a virtual clock, for lifecycle tests without HTTP.

It ignores list filters on purpose, so tests prove the lifecycle re-checks labels itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from support.clock import VirtualClock
from vertex_tuning import wire
from vertex_tuning.errors import (
    AmbiguousCreateError,
    InvalidArgumentError,
    NotFoundError,
    TransportError,
    VertexTuningError,
)
from vertex_tuning.metrics_reader import MetricPoint
from vertex_tuning.names import LocationName, TuningJobName

JobState = wire.JobState
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


@dataclass
class FakeJob:
    job: wire.TuningJob
    created: float
    final: JobState = JobState.SUCCEEDED
    message: str | None = None
    cancelled_at: float | None = None
    pinned: JobState | None = None  # a state the job never leaves (stuck, or seeded as history)


@dataclass
class FakeJobClient:
    clock: VirtualClock
    job_seconds: float = 10.0
    pending_seconds: float = 1.0
    cancel_seconds: float = 2.0
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    # Faults, each consumed once per use.
    lose_create_answers: int = 0  # the job is made, the answer is lost
    fail_creates_unsent: int = 0  # the answer is lost and no job was made
    failing_gets: int = 0
    failing_lists: int = 0
    failing_lists_after_create: int = 0
    reject_label_filter: bool = False
    unusable_create_answers: list[str] = field(default_factory=list)  # "empty", "no name", "not json"
    next_final: JobState = JobState.SUCCEEDED
    next_message: str | None = None

    # --- seeding --------------------------------------------------------------------------

    def seed(
        self,
        labels: dict[str, str],
        state: JobState,
        project: str = "p-1234",
        location: str = "us-central1",
        *,
        job: wire.TuningJob | None = None,
    ) -> str:
        """A job that already exists (from an earlier run), pinned in `state`; `job` gives its spec."""
        template = job or wire.TuningJob(base_model="gemini-3.1-flash-lite")
        name = self._store(project, location, template.model_copy(update={"labels": labels}))
        self.jobs[name].pinned = state
        return name

    def _store(self, project: str, location: str, job: wire.TuningJob) -> str:
        name = f"projects/{project}/locations/{location}/tuningJobs/{len(self.jobs) + 1}"
        stored = job.model_copy(
            update={"name": name, "create_time": EPOCH + timedelta(seconds=self.clock.now)}
        )
        self.jobs[name] = FakeJob(stored, self.clock.now, self.next_final, self.next_message)
        return name

    # --- the JobClient protocol -------------------------------------------------------------

    def create_tuning_job(self, parent: LocationName, job: wire.TuningJob) -> wire.TuningJob:
        self.calls["create"] += 1
        self.failing_lists, self.failing_lists_after_create = self.failing_lists_after_create, 0
        if self.fail_creates_unsent:
            self.fail_creates_unsent -= 1
            raise AmbiguousCreateError(method="POST", resource="tuningJobs", reason="ReadTimeout")
        name = self._store(parent.project, parent.location, job)
        if self.lose_create_answers:
            self.lose_create_answers -= 1
            raise AmbiguousCreateError(method="POST", resource="tuningJobs", reason="RemoteProtocolError")
        if self.unusable_create_answers:
            answer = self.unusable_create_answers.pop(0)
            if answer == "not json":
                raise VertexTuningError("POST tuningJobs answered 200 with a body that is not a JSON object")
            return (
                wire.TuningJob() if answer == "empty" else self._view(name).model_copy(update={"name": None})
            )
        return self._view(name)

    def get_tuning_job(self, job_name: TuningJobName) -> wire.TuningJob:
        name = str(job_name)
        self.calls["get"] += 1
        if self.failing_gets:
            self.failing_gets -= 1
            raise TransportError(method="GET", resource=name, reason="ConnectError")
        if name not in self.jobs:
            raise NotFoundError(http_status=404, status="NOT_FOUND", message="not found", resource=name)
        return self._view(name)

    def list_tuning_jobs(
        self, parent: LocationName, *, filter: str | None = None, page_size: int | None = None
    ) -> Iterator[wire.TuningJob]:
        self.calls["list"] += 1
        if self.failing_lists:
            self.failing_lists -= 1
            raise TransportError(method="GET", resource="tuningJobs", reason="ConnectError")
        if filter and self.reject_label_filter:
            raise InvalidArgumentError(http_status=400, status="INVALID_ARGUMENT", message="bad filter")
        return iter([self._view(name) for name in self.jobs if name.startswith(f"{parent}/")])

    def cancel_tuning_job(self, name: TuningJobName) -> None:
        self.calls["cancel"] += 1
        fake = self.jobs[str(name)]
        if not self._state(fake).is_terminal:
            fake.cancelled_at = self.clock.now

    def read_metrics(self, job: wire.TuningJob) -> dict[str, list[MetricPoint]]:
        self.calls["metrics"] += 1
        return {"/train_total_loss": [MetricPoint(1, 2.0), MetricPoint(2, 0.5)]}

    # --- state ----------------------------------------------------------------------------

    def _state(self, fake: FakeJob) -> JobState:
        if fake.pinned is not None:
            return fake.pinned
        age = self.clock.now - fake.created
        if fake.cancelled_at is not None:
            done = self.clock.now - fake.cancelled_at >= self.cancel_seconds
            return JobState.CANCELLED if done else JobState.CANCELLING
        if age < self.pending_seconds:
            return JobState.PENDING
        if age < self.job_seconds:
            return JobState.RUNNING
        return fake.final

    def _view(self, name: str) -> wire.TuningJob:
        fake = self.jobs[name]
        state = self._state(fake)
        update: dict[str, object] = {"state": state}
        if state is JobState.SUCCEEDED:
            update["tuned_model"] = wire.TunedModel(
                model=f"projects/1/locations/us-central1/models/{name.rsplit('/', 1)[1]}@1",
                endpoint=f"projects/1/locations/us-central1/endpoints/{name.rsplit('/', 1)[1]}",
            )
        if state is JobState.FAILED:
            update["error"] = wire.Status(code=3, message=fake.message or "failed")
        return fake.job.model_copy(update=update)

    def states(self) -> Counter[JobState]:
        return Counter(self._state(fake) for fake in self.jobs.values())
