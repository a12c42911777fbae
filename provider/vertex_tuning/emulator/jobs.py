"""Tuning jobs on the emulator's clock: create, read, list, cancel, and the state a job is in now.

A job's state is never stored; it is derived (in `lifecycle`) from when the job was created, how
long jobs take, when a cancel arrived and what its dataset turned out to be. So the clock carries
on by itself, across restarts, and every reader sees the same job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import catalogue, wire
from ..names import EndpointName, TuningJobName
from . import lifecycle, listing, training
from .lifecycle import STICKABLE, Phase
from .model_registry import ModelRef, ModelRegistry
from .outcome import TrainingOutcome
from .resources import (
    endpoint_name,
    experiment_name,
    model_name,
    new_numeric_id,
    project_number,
    timestamp,
)
from .rpc import ApiError, invalid, not_found
from .settling import Outcomes, Trained
from .storage import DataDir
from .store import JobRow, NewJob, Store
from .validation import check_create, check_hyper_parameters

__all__ = ["STICKABLE", "JobService", "Phase", "project_number"]


class JobService:
    """The tuning-jobs behaviour behind the HTTP routes; `clock` is seconds since the epoch."""

    def __init__(
        self,
        store: Store,
        data: DataDir,
        *,
        job_seconds: float,
        clock: Callable[[], float] = time.time,
        max_concurrent_jobs: int | None = None,
        as_of: dt.date | None = None,
    ) -> None:
        self.store = store
        # The day whose model catalogue is served (None: today), to replay older requests.
        self.as_of = as_of
        self.data = data
        self.job_seconds = job_seconds
        self.clock = clock
        # The project-wide quota of jobs tuning at once; None: no quota (jobs never wait).
        self.max_concurrent_jobs = max_concurrent_jobs
        # Faults waiting for the next created job: {"stuck": "JOB_STATE_RUNNING"}, {"fail": "..."}, ...
        self.next_job_controls: dict[str, Any] = {}
        self.outcomes = Outcomes(store, self._train)
        self.registry = ModelRegistry(store, lambda row: self.phase(row).state is wire.JobState.SUCCEEDED)

    # --- routes ------------------------------------------------------------------------------

    def create(
        self, project: str, location: str, job: wire.TuningJob, *, version: str = "v1"
    ) -> wire.TuningJob:
        self.outcomes.settle()
        source = check_create(job, location, self.data, self.as_of or catalogue.today())
        number = project_number(project)
        lineage = self._lineage(number, location, job, source)
        model = catalogue.find_base_model(lineage.base_model)
        assert model is not None
        check_hyper_parameters(job, model)
        request = job.model_copy(deep=True)
        if not request.tuned_model_display_name:
            request.tuned_model_display_name = lineage.display_name or f"{model.id}-{uuid.uuid4()}"
        controls, self.next_job_controls = self.next_job_controls, {}
        row = self.store.insert_job(
            NewJob(
                id=new_numeric_id(),
                project=number,
                location=location,
                created=self.clock(),
                duration=self.job_seconds,
                request=_request_fields(request),
                model_id=lineage.model_id,
                endpoint_id=new_numeric_id(),
                base_model=model.id,
                controls=controls,
                source_job=lineage.source_job,
            )
        )
        return self.view(row)

    def get(self, project: str, location: str, job_id: str) -> wire.TuningJob:
        return self.view(self.row(project, location, job_id))

    def list_jobs(
        self, project: str, location: str, *, filter: str = "", page_size: int = 0, page_token: str = ""
    ) -> wire.ListTuningJobsResponse:
        matches = listing.parse_filter(filter)
        after = listing.decode_page_token(page_token)
        size = min(page_size or listing.DEFAULT_PAGE_SIZE, listing.MAX_PAGE_SIZE)
        if page_size < 0:
            raise invalid(f"page_size must not be negative, got {page_size}.")
        page: list[wire.TuningJob] = []
        rows = [
            row
            for row in self.store.jobs(project_number(project), location)
            if after is None or row.seq < after
        ]
        for index, row in enumerate(rows):
            job = self.view(row)
            if not matches(job):
                continue
            if len(page) == size:
                token = listing.encode_page_token(rows[index - 1].seq)
                return wire.ListTuningJobsResponse(tuning_jobs=page, next_page_token=token)
            page.append(job)
        return wire.ListTuningJobsResponse(tuning_jobs=page)

    def cancel(self, project: str, location: str, job_id: str) -> None:
        self.outcomes.settle()
        row = self.row(project, location, job_id)
        phase = self.phase(row)
        if phase.state is wire.JobState.CANCELLING:
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
            name = TuningJobName.render(project_number(project), location, job_id)
            raise not_found(f"TuningJob {name} not found.")
        return row

    def phase(self, row: JobRow, now: float | None = None) -> Phase:
        now = self.clock() if now is None else now
        if self.max_concurrent_jobs is None:
            slot: float | None = row.created
        else:
            # The queue is first come, first served: only older jobs decide this one's slot, and
            # reading a newer job's outcome could mean checking its (large) dataset on this read.
            rows = [other for other in self.store.project_jobs(row.project) if other.seq <= row.seq]
            slot = lifecycle.slots(rows, self.max_concurrent_jobs, self.outcome, now).get(row.id, row.created)
        return lifecycle.phase(row, slot, self.outcome, now)

    def view(self, row: JobRow, now: float | None = None) -> wire.TuningJob:
        """The job as the API shows it at `now` (v1beta1's extra fields included; v1 drops them)."""
        now = self.clock() if now is None else now
        phase = self.phase(row, now)
        job = wire.TuningJob.model_validate(row.request)
        job.name = row.name
        # wire declares enum fields through an alias mypy reads as None.
        job.state = phase.state  # type: ignore[assignment]
        job.create_time = timestamp(row.created)
        job.update_time = timestamp(phase.update)
        job.start_time = timestamp(phase.start) if phase.start is not None else None
        job.end_time = timestamp(phase.end) if phase.end is not None else None
        job.error = phase.error
        if job.pre_tuned_model is not None:
            job.pre_tuned_model.base_model = row.base_model
        if phase.start is None or (
            phase.state is wire.JobState.FAILED and phase.error and phase.error.code == 3
        ):
            if phase.state is wire.JobState.PENDING:
                job.tuning_job_state = _detailed(  # type: ignore[assignment]
                    lifecycle.tuning_job_state(phase, now, row.duration, True)
                )
            return job
        outcome = self.outcome(row)
        steps = lifecycle.completed_steps(phase, outcome, now)
        job.tuning_job_state = _detailed(  # type: ignore[assignment]
            lifecycle.tuning_job_state(phase, now, row.duration, steps < outcome.steps)
        )
        job.tuning_job_metadata = wire.TuningJobMetadata(
            completed_epoch_count=steps // outcome.steps_per_epoch, completed_step_count=steps
        )
        job.experiment = experiment_name(row)
        job.tuning_data_stats = wire.TuningDataStats(
            supervised_tuning_data_stats=wire.SupervisedTuningDataStats.model_validate(outcome.stats)
        )
        if phase.state is wire.JobState.SUCCEEDED:
            self._add_results(job, row, outcome)
        return job

    def _add_results(self, job: wire.TuningJob, row: JobRow, outcome: TrainingOutcome) -> None:
        spec = job.supervised_tuning_spec
        assert spec is not None
        spec.hyper_parameters = wire.SupervisedHyperParameters(
            epoch_count=outcome.epochs,
            learning_rate_multiplier=outcome.learning_rate_multiplier,
            adapter_size=wire.AdapterSize(outcome.adapter_size),
        )
        endpoints = self.outcomes.checkpoint_endpoints(row)
        checkpoints = [
            wire.TunedModelCheckpoint(
                checkpoint_id=checkpoint_id,
                epoch=epoch,
                step=step,
                endpoint=str(
                    EndpointName(row.project, row.location, endpoints.get(checkpoint_id, row.endpoint_id))
                ),
            )
            for checkpoint_id, epoch, step in outcome.checkpoints()
        ]
        job.tuned_model = wire.TunedModel(
            model=model_name(row), endpoint=endpoint_name(row), checkpoints=checkpoints or None
        )

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
        self.outcomes.settle()
        row = self.store.job(job_id)
        if row is None:
            raise not_found(f"Tuning job {job_id} not found.")
        state = self.phase(row).state
        # What clients have seen is history: a finished job cannot be steered, a started one not unstarted.
        if value is not None and state.is_terminal:
            raise ApiError(
                "FAILED_PRECONDITION", f"Tuning job {row.name} has finished; it cannot be steered."
            )
        if value == wire.JobState.PENDING.value and state is not wire.JobState.PENDING:
            raise ApiError(
                "FAILED_PRECONDITION", f"Tuning job {row.name} has started; it cannot stay PENDING."
            )
        if key == "ignoreCancel" and state is wire.JobState.CANCELLING:
            raise ApiError("FAILED_PRECONDITION", f"Tuning job {row.name} is already cancelling.")
        controls = dict(row.controls)
        if value is None:
            controls.pop(key, None)
        else:
            controls[key] = value
        self.store.set_controls(job_id, controls)

    # --- the dataset's verdict -----------------------------------------------------------------

    def outcome(self, row: JobRow) -> TrainingOutcome:
        """What training on this job's datasets gives; read once, when the job starts, then kept."""
        return self.outcomes.outcome(row)

    def _train(self, row: JobRow) -> Trained:
        model = catalogue.find_base_model(row.base_model)
        assert model is not None
        outcome, exchanges = training.train(wire.TuningJob.model_validate(row.request), model, self.data)
        endpoints: dict[str, str] = {}
        if outcome.failure is None:
            exchanges = (exchanges + self._inherited_exchanges(row))[: training.MAX_KEPT_EXCHANGES]
            # Each exported checkpoint but the last (which is on the job's endpoint) has its own.
            endpoints = {cp: _checkpoint_endpoint_id(row, cp) for cp, _, _ in outcome.checkpoints()[:-1]}
        return Trained(outcome, exchanges, endpoints)

    def _inherited_exchanges(self, row: JobRow) -> list[list[str]]:
        """Continuous tuning keeps what the source version learned, after what this one did."""
        earlier = self.store.job(row.source_job) if row.source_job else None
        if earlier is None:
            return []
        self.outcome(earlier)
        return self.outcomes.exchanges(earlier)

    def _lineage(self, project: str, location: str, job: wire.TuningJob, source: ModelRef | None) -> Lineage:
        """Where a new job's tuned model goes: a new model, or a new version of the source's.

        As on the service: continuous tuning adds a version to the source's model, named as the
        source, unless a new display name is given, which makes a new model (at `@1`).
        """
        if source is None:
            assert job.base_model is not None
            return Lineage(job.base_model.removeprefix("publishers/google/models/"), new_numeric_id())
        found = self.registry.resolve(project, location, source)
        if found is None:
            raise invalid(
                f"pre_tuned_model.tuned_model_name: model {source.model_id} (version "
                f"{source.version or 'default'}) is not a tuned model in {location}.",
                "tuning_job.pre_tuned_model.tuned_model_name",
            )
        base = found.base_model
        if job.base_model and catalogue.find_base_model(job.base_model) != catalogue.find_base_model(base):
            raise invalid(
                f"base_model {job.base_model} does not match the pre-tuned model's base model {base}.",
                "tuning_job.base_model",
            )
        checkpoint = job.pre_tuned_model.checkpoint_id if job.pre_tuned_model else None
        known = [cp for cp, _, _ in self.outcome(found).checkpoints()]
        if checkpoint and checkpoint not in known:
            raise invalid(
                f"pre_tuned_model.checkpoint_id: {found.model_id}@{found.model_version} has no checkpoint "
                f"{checkpoint!r}; it has {', '.join(known)}.",
                "tuning_job.pre_tuned_model.checkpoint_id",
            )
        name = self.registry.display_name(found)
        if job.tuned_model_display_name and job.tuned_model_display_name != name:
            return Lineage(base, new_numeric_id(), source_job=found.id)
        return Lineage(base, found.model_id, name, found.id)


@dataclass(frozen=True)
class Lineage:
    base_model: str
    model_id: str
    display_name: str | None = None  # the source's, for a new version of it
    source_job: str | None = None  # the job whose tuned model continuous tuning starts from


def _checkpoint_endpoint_id(row: JobRow, checkpoint_id: str) -> str:
    """A stable 19-digit id, so that whoever settles the outcome first gives the same endpoints."""
    digest = hashlib.sha256(f"{row.endpoint_id}/checkpoint/{checkpoint_id}".encode()).hexdigest()
    return str(10**18 + int(digest, 16) % (9 * 10**18))


def _request_fields(job: wire.TuningJob) -> dict[str, Any]:
    """The caller's fields only: output-only fields in a create body are ignored, as on the service."""
    kept = job.to_json_dict()
    for output in ("name", "state", "createTime", "startTime", "endTime", "updateTime", "error",
                   "experiment", "tunedModel", "tuningDataStats", "gcsMetricsUri", "tuningJobState",
                   "tuningJobMetadata", "evaluateDatasetRuns", "pipelineJob", "satisfiesPzs",
                   "satisfiesPzi"):  # fmt: skip
        kept.pop(output, None)
    return kept


def _detailed(state: str | None) -> wire.TuningJobState | None:
    """v1beta1's finer state as the wire model holds it."""
    return wire.TuningJobState.tolerant(state) if state else None
