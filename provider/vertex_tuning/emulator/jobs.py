"""Tuning jobs on the emulator's clock: create, read, list, cancel, and the state a job is in now.

A job's state is never stored; it is derived from when the job was created, how long jobs take,
when a cancel arrived and what its dataset turned out to be. So the clock carries on by itself,
across restarts, and every reader sees the same job.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .. import catalogue, datasets
from ..wire import (
    AdapterSize,
    Content,
    DatasetDistribution,
    JobState,
    ListTuningJobsResponse,
    Part,
    Status,
    SupervisedHyperParameters,
    SupervisedTuningDataStats,
    TunedModel,
    TunedModelCheckpoint,
    TuningDataStats,
    TuningJob,
)
from .rpc import ApiError, invalid, not_found
from .storage import DataDir, StorageError
from .store import JobRow, NewJob, Store
from .validation import TunedModelRef, check_create, check_hyper_parameters

# Shares of a job's duration: queued first, then training; a cancel takes a tenth to settle.
PENDING_SHARE = 0.2
CANCEL_SHARE = 0.1
# Examples per training step (our choice; Vertex does not publish its batch size).
BATCH_SIZE = 8
# Exchanges kept per job for its tuned endpoint to answer from.
MAX_KEPT_EXCHANGES = 5000
# Dropped examples listed by index and reason (the API gives "a partial sample").
MAX_DROPPED_SAMPLE = 100
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 300
STICKABLE = (JobState.PENDING, JobState.RUNNING)

_FILTER_CLAUSE = re.compile(
    r'\s*(?P<field>state|labels\.[a-z][a-z0-9_-]*)\s*(?P<op>!=|=)\s*(?P<value>"[^"]*"|[A-Za-z0-9_-]+)\s*'
)


def project_number(project: str) -> str:
    """The project number the service answers with: stable per project id (or the number itself)."""
    if project.isdigit():
        return project
    digest = int(hashlib.sha256(project.encode()).hexdigest(), 16)
    return str(100_000_000_000 + digest % 900_000_000_000)


def new_numeric_id() -> str:
    """A 19-digit resource id, like the service's."""
    return str(10**18 + secrets.randbelow(9 * 10**18))


def timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def rfc3339(seconds: float) -> str:
    """A google.protobuf.Timestamp in JSON, as wire.Timestamp writes it."""
    return timestamp(seconds).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
        self, store: Store, data: DataDir, *, job_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.data = data
        self.job_seconds = job_seconds
        self.clock = clock
        # Faults waiting for the next created job: {"stuck": "JOB_STATE_RUNNING"} or {"fail": "..."}.
        self.next_job_controls: dict[str, Any] = {}

    # --- routes ------------------------------------------------------------------------------

    def create(self, project: str, location: str, job: TuningJob) -> TuningJob:
        source = check_create(job, location, self.data)
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
        matches = _parse_filter(filter)
        after = _decode_page_token(page_token)
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
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
                token = _encode_page_token(rows[index - 1].seq)
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
        return self.store.settle_outcome(row.id, *self._train(row))

    def _train(self, row: JobRow) -> tuple[dict[str, Any], list[list[str]]]:
        model = catalogue.find_base_model(row.controls["base_model"])
        assert model is not None
        job = TuningJob.model_validate(row.request)
        spec = job.supervised_tuning_spec
        assert spec is not None and spec.training_dataset_uri
        training = self._read(spec.training_dataset_uri, model, "training")
        failure = _failure("Training", spec.training_dataset_uri, training)
        if failure is None and spec.validation_dataset_uri:
            validation = self._read(spec.validation_dataset_uri, model, "validation")
            failure = _failure("Validation", spec.validation_dataset_uri, validation)
        if failure is not None:
            return {"failure": failure}, []
        params = spec.hyper_parameters or SupervisedHyperParameters()
        epochs = params.epoch_count or model.default_epochs
        size = (
            AdapterSize(params.adapter_size) if params.adapter_size is not None else AdapterSize.UNSPECIFIED
        )
        adapter = (
            size if size is not AdapterSize.UNSPECIFIED else AdapterSize.from_rank(model.default_adapter_size)
        )
        per_epoch = math.ceil(len(training.examples) / BATCH_SIZE)
        exchanges = [
            [example.system, prompt, answer]
            for example in training.examples
            for prompt, answer in example.exchanges()
        ]
        outcome = {
            "failure": None,
            "epochs": epochs,
            "adapter_size": adapter.value,
            "learning_rate_multiplier": params.learning_rate_multiplier or 1.0,
            "steps_per_epoch": per_epoch,
            "steps": per_epoch * epochs,
            "validation": bool(spec.validation_dataset_uri),
            "stats": _stats(training, epochs, per_epoch * epochs).to_json_dict(),
        }
        return outcome, (exchanges + self._inherited_exchanges(row))[:MAX_KEPT_EXCHANGES]

    def _inherited_exchanges(self, row: JobRow) -> list[list[str]]:
        """Continuous tuning keeps what the earlier version learned, after what this one did."""
        earlier = [r for r in self.store.jobs_of_model(row.model_id) if r.model_version < row.model_version]
        if not earlier:
            return []
        self.outcome(earlier[-1])
        return self.store.exchanges(earlier[-1].id)

    def _read(
        self, uri: str, model: catalogue.BaseModel, purpose: datasets.Purpose
    ) -> datasets.DatasetReport:
        try:
            path = self.data.resolve(uri)
        except StorageError as error:
            report = datasets.DatasetReport(purpose, model.id)
            report.problems.append(datasets.DatasetProblem(None, str(error)))
            return report
        if not path.is_file():
            report = datasets.DatasetReport(purpose, model.id)
            report.problems.append(datasets.DatasetProblem(None, "the file does not exist"))
            return report
        return datasets.validate_dataset_file(path, model, purpose)

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


def model_name(row: JobRow) -> str:
    return f"{row.parent}/models/{row.model_id}@{row.model_version}"


def endpoint_name(row: JobRow) -> str:
    return f"{row.parent}/endpoints/{row.endpoint_id}"


def experiment_id(row: JobRow) -> str:
    return f"tuning-experiment-{row.id}"


def experiment_name(row: JobRow) -> str:
    return f"{row.parent}/metadataStores/default/contexts/{experiment_id(row)}"


def _request_fields(job: TuningJob) -> dict[str, Any]:
    """The caller's fields only: output-only fields in a create body are ignored, as on the service."""
    kept = job.to_json_dict()
    for output in ("name", "state", "createTime", "startTime", "endTime", "updateTime", "error",
                   "experiment", "tunedModel", "tuningDataStats", "gcsMetricsUri"):  # fmt: skip
        kept.pop(output, None)
    return kept


def _failure(kind: str, uri: str, report: datasets.DatasetReport) -> str | None:
    if report.ok:
        return None
    return f"{kind} dataset {uri} is invalid: {report.summary()}"


def _distribution(values: list[int]) -> DatasetDistribution:
    summary = datasets.Distribution.of(values)
    return DatasetDistribution(
        sum=summary.sum,
        billable_sum=summary.sum,
        min=summary.min,
        max=summary.max,
        mean=summary.mean,
        median=summary.median,
        p5=summary.p5,
        p95=summary.p95,
    )


def _stats(report: datasets.DatasetReport, epochs: int, steps: int) -> SupervisedTuningDataStats:
    examples = report.examples
    return SupervisedTuningDataStats(
        tuning_dataset_example_count=len(examples) + len(report.dropped),
        total_tuning_character_count=report.total_characters,
        total_billable_character_count=report.total_characters * epochs,
        total_billable_token_count=report.total_tokens * epochs,
        tuning_step_count=steps,
        total_truncated_example_count=len(report.dropped),
        truncated_example_indices=[dropped.index for dropped in report.dropped[:MAX_DROPPED_SAMPLE]],
        dropped_example_reasons=[dropped.reason for dropped in report.dropped[:MAX_DROPPED_SAMPLE]],
        user_input_token_distribution=_distribution([e.input_tokens for e in examples]),
        user_output_token_distribution=_distribution([e.output_tokens for e in examples]),
        user_message_per_example_distribution=_distribution([e.user_messages for e in examples]),
        user_dataset_examples=[
            Content(role=turn.role, parts=[Part(text=turn.text)]) for turn in examples[0].turns[:2]
        ],
    )


def _parse_filter(text: str) -> list[Callable[[TuningJob], bool]]:
    """The AIP-160 subset the service is seen to take: `state=...` and `labels.KEY=...`, joined by AND."""
    if not text.strip():
        return []
    matches = []
    for clause in re.split(r"\s+AND\s+", text.strip()):
        found = _FILTER_CLAUSE.fullmatch(clause)
        if found is None:
            raise invalid(
                f'filter: unsupported expression {clause!r}; use state="JOB_STATE_..." or labels.KEY="v".'
            )
        matches.append(_clause(found["field"], found["op"], found["value"].strip('"')))
    return matches


def _clause(field: str, op: str, value: str) -> Callable[[TuningJob], bool]:
    if field == "state":
        if value not in {state.value for state in JobState}:
            raise invalid(
                f"filter: {value!r} is not a job state (JOB_STATE_PENDING, JOB_STATE_RUNNING, ...)."
            )

        def actual(job: TuningJob) -> str | None:
            return job.job_state.value
    else:
        key = field.removeprefix("labels.")

        def actual(job: TuningJob) -> str | None:
            return (job.labels or {}).get(key)

    if op == "=":
        return lambda job: actual(job) == value
    return lambda job: actual(job) != value


def _encode_page_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"after:{seq}".encode()).decode()


def _decode_page_token(token: str) -> int | None:
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        return int(text.removeprefix("after:")) if text.startswith("after:") else int("x")
    except ValueError:
        raise invalid("page_token is not a token this service returned.") from None
