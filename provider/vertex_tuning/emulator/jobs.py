"""Tuning jobs on the emulator's clock: create, read, list, cancel, and the state a job is in now.

A job's state is never stored; it is derived from when the job was created, how long jobs take,
when a cancel arrived and what its dataset turned out to be. So the clock carries on by itself,
across restarts, and every reader sees the same job.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import catalogue
from ..wire import (
    AdapterSize,
    JobState,
    ListTuningJobsResponse,
    Status,
    SupervisedHyperParameters,
    SupervisedTuningDataStats,
    TunedModel,
    TunedModelCheckpoint,
    TuningDataStats,
    TuningJob,
)
from . import listing, training
from .resources import (
    endpoint_name,
    experiment_name,
    model_name,
    new_numeric_id,
    project_number,
    timestamp,
)
from .rpc import ApiError, invalid, not_found
from .storage import DataDir
from .store import JobRow, NewJob, Store
from .validation import TunedModelRef, check_create, check_hyper_parameters

# Shares of a job's duration: queued first, then training; a cancel takes a tenth to settle.
PENDING_SHARE = 0.2
CANCEL_SHARE = 0.1
STICKABLE = (JobState.PENDING, JobState.RUNNING)


@dataclass(frozen=True)
class Phase:
    state: JobState
    update: float
    start: float | None = None
    end: float | None = None
    error: Status | None = None


class JobService:
    """The tuning-jobs behaviour behind the HTTP routes; `clock` is seconds since the epoch."""

    def __init__(
        self,
        store: Store,
        data: DataDir,
        *,
        job_seconds: float,
        clock: Callable[[], float] = time.time,
        as_of: dt.date | None = None,
    ) -> None:
        self.store = store
        # The day whose model catalogue is served (None: today), to replay older requests.
        self.as_of = as_of
        self.data = data
        self.job_seconds = job_seconds
        self.clock = clock
        # Faults waiting for the next created job: {"stuck": "JOB_STATE_RUNNING"} or {"fail": "..."}.
        self.next_job_controls: dict[str, Any] = {}

    # --- routes ------------------------------------------------------------------------------

    def create(self, project: str, location: str, job: TuningJob) -> TuningJob:
        source = check_create(job, location, self.data, self.as_of or catalogue.today())
        base_model, model_id = self._model_lineage(project, location, job, source)
        model = catalogue.find_base_model(base_model)
        assert model is not None
        check_hyper_parameters(job, model)
        request = job.model_copy(deep=True)
        if not request.tuned_model_display_name:
            request.tuned_model_display_name = f"{model.id}-{uuid.uuid4()}"
        controls = {"base_model": model.id, **self.next_job_controls}
        self.next_job_controls = {}
        row = self.store.insert_job(
            NewJob(
                id=new_numeric_id(),
                project=project_number(project),
                location=location,
                created=self.clock(),
                duration=self.job_seconds,
                request=_request_fields(request),
                model_id=model_id,
                endpoint_id=new_numeric_id(),
                controls=controls,
            )
        )
        return self.view(row)

    def get(self, project: str, location: str, job_id: str) -> TuningJob:
        return self.view(self.row(project, location, job_id))

    def list_jobs(
        self, project: str, location: str, *, filter: str = "", page_size: int = 0, page_token: str = ""
    ) -> ListTuningJobsResponse:
        matches = listing.parse_filter(filter)
        after = listing.decode_page_token(page_token)
        size = min(page_size or listing.DEFAULT_PAGE_SIZE, listing.MAX_PAGE_SIZE)
        if page_size < 0:
            raise invalid(f"page_size must not be negative, got {page_size}.")
        page: list[TuningJob] = []
        rows = [
            row
            for row in self.store.jobs(project_number(project), location)
            if after is None or row.seq < after
        ]
        for index, row in enumerate(rows):
            job = self.view(row)
            if not all(match(job) for match in matches):
                continue
            if len(page) == size:
                token = listing.encode_page_token(rows[index - 1].seq)
                return ListTuningJobsResponse(tuning_jobs=page, next_page_token=token)
            page.append(job)
        return ListTuningJobsResponse(tuning_jobs=page)

    def cancel(self, project: str, location: str, job_id: str) -> None:
        row = self.row(project, location, job_id)
        phase = self.phase(row)
        if phase.state is JobState.CANCELLING:
            return
        if phase.state.is_terminal:
            raise ApiError(
                "FAILED_PRECONDITION",
                f"Tuning job {row.name} is in state {phase.state.value} and cannot be cancelled.",
            )
        self.store.mark_cancelled(row.id, self.clock())

    # --- reading jobs ------------------------------------------------------------------------

    def row(self, project: str, location: str, job_id: str) -> JobRow:
        row = self.store.job(job_id) if job_id.isdigit() else None
        if row is None or row.project != project_number(project) or row.location != location:
            number = project_number(project)
            raise not_found(
                f"TuningJob projects/{number}/locations/{location}/tuningJobs/{job_id} not found."
            )
        return row

    def phase(self, row: JobRow, now: float | None = None) -> Phase:
        now = self.clock() if now is None else now
        started = row.created + PENDING_SHARE * row.duration
        finished = row.created + row.duration
        stuck = row.controls.get("stuck")
        if row.cancelled is not None:
            was_running = row.cancelled >= started and stuck != JobState.PENDING.value
            settled = row.cancelled + CANCEL_SHARE * row.duration
            start = started if was_running else None
            if now < settled:
                return Phase(JobState.CANCELLING, row.cancelled, start=start)
            return Phase(JobState.CANCELLED, settled, start, settled, Status(code=1, message="CANCELLED"))
        if stuck == JobState.PENDING.value or now < started:
            return Phase(JobState.PENDING, row.created)
        failure = self.outcome(row).get("failure")
        if failure:
            return Phase(JobState.FAILED, started, started, started, Status(code=3, message=failure))
        if stuck == JobState.RUNNING.value or now < finished:
            return Phase(JobState.RUNNING, started, started)
        if row.controls.get("fail"):
            return Phase(
                JobState.FAILED, finished, started, finished, Status(code=13, message=row.controls["fail"])
            )
        return Phase(JobState.SUCCEEDED, finished, started, finished)

    def view(self, row: JobRow, now: float | None = None) -> TuningJob:
        """The job as the API shows it at `now`."""
        phase = self.phase(row, now)
        job = TuningJob.model_validate(row.request)
        job.name = row.name
        # wire declares enum fields through an alias mypy reads as None.
        job.state = phase.state  # type: ignore[assignment]
        job.create_time = timestamp(row.created)
        job.update_time = timestamp(phase.update)
        job.start_time = timestamp(phase.start) if phase.start is not None else None
        job.end_time = timestamp(phase.end) if phase.end is not None else None
        job.error = phase.error
        if job.pre_tuned_model is not None:
            job.pre_tuned_model.base_model = row.controls["base_model"]
        if phase.start is None or (phase.state is JobState.FAILED and phase.error and phase.error.code == 3):
            return job
        outcome = self.outcome(row)
        job.experiment = experiment_name(row)
        job.tuning_data_stats = TuningDataStats(
            supervised_tuning_data_stats=SupervisedTuningDataStats.model_validate(outcome["stats"])
        )
        if phase.state is JobState.SUCCEEDED:
            self._add_results(job, row, outcome)
        return job

    def _add_results(self, job: TuningJob, row: JobRow, outcome: dict[str, Any]) -> None:
        spec = job.supervised_tuning_spec
        assert spec is not None
        spec.hyper_parameters = SupervisedHyperParameters(
            epoch_count=outcome["epochs"],
            learning_rate_multiplier=outcome["learning_rate_multiplier"],
            adapter_size=AdapterSize(outcome["adapter_size"]),
        )
        endpoint = endpoint_name(row)
        checkpoints = None
        if not spec.export_last_checkpoint_only:
            per_epoch = outcome["steps_per_epoch"]
            checkpoints = [
                TunedModelCheckpoint(
                    checkpoint_id=str(epoch),
                    epoch=epoch,
                    step=epoch * per_epoch,
                    endpoint=endpoint if epoch == outcome["epochs"] else None,
                )
                for epoch in range(1, outcome["epochs"] + 1)
            ]
        job.tuned_model = TunedModel(model=model_name(row), endpoint=endpoint, checkpoints=checkpoints)

    def serving_job(self, project: str, location: str, endpoint_id: str) -> tuple[JobRow, dict[str, Any]]:
        """The SUCCEEDED job behind a tuned endpoint; endpoints of other jobs do not exist."""
        row = self.store.job_by_endpoint(endpoint_id) if endpoint_id.isdigit() else None
        if (
            row is None
            or row.project != project_number(project)
            or row.location != location
            or self.phase(row).state is not JobState.SUCCEEDED
        ):
            raise not_found(
                f"Endpoint projects/{project_number(project)}/locations/{location}/endpoints/{endpoint_id} "
                "not found."
            )
        return row, {**self.outcome(row), "exchanges": self.store.exchanges(row.id)}

    def job_by_experiment(self, project: str, location: str, experiment_id: str) -> JobRow:
        job_id = experiment_id.removeprefix("tuning-experiment-")
        row = self.store.job(job_id) if job_id.isdigit() else None
        if row is None or row.project != project_number(project) or row.location != location:
            raise not_found(f"Context {experiment_id} not found.")
        phase = self.phase(row)
        if phase.start is None or (phase.error is not None and phase.error.code == 3):
            raise not_found(f"Context {experiment_id} not found.")
        return row

    def states(self) -> dict[str, int]:
        return dict(Counter(self.phase(row).state.value for row in self.store.all_jobs()))

    # --- controls (faults) -------------------------------------------------------------------

    def set_control(self, job_id: str, key: str, value: Any) -> None:
        row = self.store.job(job_id)
        if row is None:
            raise not_found(f"Tuning job {job_id} not found.")
        state = self.phase(row).state
        # What clients have seen is history: a finished job cannot be steered, a started one not unstarted.
        if value is not None and state.is_terminal:
            raise ApiError(
                "FAILED_PRECONDITION", f"Tuning job {row.name} has finished; it cannot be steered."
            )
        if value == JobState.PENDING.value and state is not JobState.PENDING:
            raise ApiError(
                "FAILED_PRECONDITION", f"Tuning job {row.name} has started; it cannot stay PENDING."
            )
        controls = dict(row.controls)
        if value is None:
            controls.pop(key, None)
        else:
            controls[key] = value
        self.store.set_controls(job_id, controls)

    # --- the dataset's verdict -----------------------------------------------------------------

    def outcome(self, row: JobRow) -> dict[str, Any]:
        """What training on this job's datasets gives; read once, when the job starts, then kept."""
        if row.outcome is not None:
            return row.outcome
        model = catalogue.find_base_model(row.controls["base_model"])
        assert model is not None
        outcome, exchanges = training.train(TuningJob.model_validate(row.request), model, self.data)
        if outcome["failure"] is None:
            exchanges = (exchanges + self._inherited_exchanges(row))[: training.MAX_KEPT_EXCHANGES]
        return self.store.settle_outcome(row.id, outcome, exchanges)

    def _inherited_exchanges(self, row: JobRow) -> list[list[str]]:
        """Continuous tuning keeps what the earlier version learned, after what this one did."""
        earlier = [r for r in self.store.jobs_of_model(row.model_id) if r.model_version < row.model_version]
        if not earlier:
            return []
        self.outcome(earlier[-1])
        return self.store.exchanges(earlier[-1].id)

    def _model_lineage(
        self, project: str, location: str, job: TuningJob, source: TunedModelRef | None
    ) -> tuple[str, str]:
        """(base model id, tuned model id): a new model, or the source's for continuous tuning."""
        if source is None:
            assert job.base_model is not None
            return job.base_model.removeprefix("publishers/google/models/"), new_numeric_id()
        versions = [
            row
            for row in self.store.jobs_of_model(source.model_id)
            if row.project == project_number(project)
            and row.location == location
            and (source.version is None or row.model_version == source.version)
            and self.phase(row).state is JobState.SUCCEEDED
        ]
        if not versions:
            raise invalid(
                f"pre_tuned_model.tuned_model_name: model {source.model_id} (version "
                f"{source.version or 'latest'}) is not a tuned model in {location}."
            )
        base = versions[-1].controls["base_model"]
        if job.base_model and catalogue.find_base_model(job.base_model) != catalogue.find_base_model(base):
            raise invalid(
                f"base_model {job.base_model} does not match the pre-tuned model's base model {base}."
            )
        return base, source.model_id


def _request_fields(job: TuningJob) -> dict[str, Any]:
    """The caller's fields only: output-only fields in a create body are ignored, as on the service."""
    kept = job.to_json_dict()
    for output in ("name", "state", "createTime", "startTime", "endTime", "updateTime", "error",
                   "experiment", "tunedModel", "tuningDataStats", "gcsMetricsUri"):  # fmt: skip
        kept.pop(output, None)
    return kept
