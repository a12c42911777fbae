"""Training metrics, served the way Vertex serves them: an Experiment context backed by TensorBoard.

A job's `experiment` names a Vertex ML Metadata context (`schemaTitle: system.Experiment`) whose
metadata `backing_tensorboard_resource` names the TensorBoard holding the series; under it the
experiment (same id as the context) has one run per job, and the run has one scalar time series
per metric. Values are plausible curves, deterministic per job: noise comes from a hash of the job
id, the series and the step. Series grow while the job runs and are complete when it succeeds.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from .. import wire
from ..names import TensorboardName, TensorboardRunName
from .lifecycle import Phase, step_times
from .outcome import TrainingOutcome
from .resources import experiment_id, experiment_name, project_number, timestamp
from .rpc import ApiError, invalid, not_found
from .store import JobRow

if TYPE_CHECKING:
    from .jobs import JobService

VALUE_TYPES = [member.value for member in wire.ValueType]  # by number, for enum-encoding=int
TRAIN_SERIES = ("/train_total_loss", "/train_fraction_of_correct_next_step_preds", "/train_num_predictions")
EVAL_SERIES = ("/eval_total_loss", "/eval_fraction_of_correct_next_step_preds", "/eval_num_predictions")
RUN_ID = "tuning"
_SERIES_NAME = re.compile(
    r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/tensorboards/(?P<tensorboard>\d+)"
    r"/experiments/(?P<experiment>[a-z0-9-]+)/runs/(?P<run>[a-z0-9-]+)/timeSeries/(?P<series>[a-z0-9-]+)"
)
# What a context patch may change besides its metadata, by JSON name: the field it sets.
_PATCHABLE = {"displayName": "display_name", "description": "description"}
_CONTEXT_FILTER = re.compile(
    r'\s*(?P<field>schema_title|display_name|parent_contexts)\s*(=|:)\s*"(?P<value>[^"]*)"\s*'
)


class Metrics:
    """The metrics service the routes call: contexts (with their patches), the TensorBoard, and the
    experiment, run and series under it, each read from the job the experiment belongs to."""

    def __init__(self, jobs: JobService) -> None:
        self.jobs = jobs

    # --- metadata contexts ---------------------------------------------------------------------

    def get_context(self, project: str, location: str, context_id: str) -> dict[str, Any]:
        return answer(self._context(self.jobs.job_by_experiment(project, location, context_id)))

    def list_contexts(self, project: str, location: str, filter_text: str) -> dict[str, Any]:
        """The location's experiment contexts; filters on schema_title, display_name, parent_contexts."""
        wanted: list[tuple[str, str]] = []
        for clause in filter(None, re.split(r"\s+AND\s+", filter_text.strip())):
            found = _CONTEXT_FILTER.fullmatch(clause)
            if found is None:
                raise invalid(
                    f'filter: unsupported expression {clause!r}; use schema_title="system.Experiment".'
                )
            wanted.append((found["field"], found["value"]))
        contexts = []
        for row in self.jobs.store.jobs(project_number(project), location):
            try:
                body = self._context(self.jobs.job_by_experiment(project, location, experiment_id(row)))
            except ApiError:  # a job that has not started has no context yet
                continue
            fields = {"schema_title": body.schema_title, "display_name": body.display_name}
            # Tuning experiments are top-level: nothing has them as parent contexts.
            if all(field != "parent_contexts" and fields[field] == value for field, value in wanted):
                contexts.append(body)
        return answer(wire.ListContextsResponse(contexts=contexts))

    def patch_context(
        self, project: str, location: str, context_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        row = self.jobs.job_by_experiment(project, location, context_id)
        key = f"contexts/{experiment_id(row)}"
        patched = self.jobs.store.patch(key)
        metadata = {**patched.get("metadata", {}), **changes.get("metadata", {})}
        kept: dict[str, Any] = {name: changes[name] for name in _PATCHABLE if name in changes}
        self.jobs.store.set_patches({key: {**patched, **kept, "metadata": metadata}})
        return answer(self._context(row))

    def _context(self, row: JobRow) -> wire.Context:
        body = context(row, self.jobs.phase(row))
        patched = self.jobs.store.patch(f"contexts/{experiment_id(row)}")
        if not patched:
            return body
        kept = {field: patched[name] for name, field in _PATCHABLE.items() if name in patched}
        return body.model_copy(update={"metadata": {**body.metadata, **patched.get("metadata", {})}, **kept})

    # --- TensorBoard ---------------------------------------------------------------------------

    def get_tensorboard(self, project: str, location: str, board: str) -> dict[str, Any]:
        number = project_number(project)
        started = [
            phase.start
            for row in self.jobs.store.jobs(number, location)
            if (phase := self.jobs.phase(row)).start is not None
        ]
        if board != location_tensorboard_id(number, location) or not started:
            raise not_found(f"Tensorboard {board} not found.")
        return answer(tensorboard(number, location, min(started)))

    def get_experiment(self, project: str, location: str, board: str, exp_id: str) -> dict[str, Any]:
        row = self._experiment_job(project, location, board, exp_id)
        return answer(experiment(row, self.jobs.phase(row)))

    def list_runs(self, project: str, location: str, board: str, exp_id: str) -> dict[str, Any]:
        row = self._experiment_job(project, location, board, exp_id)
        return answer(runs(row, self.jobs.phase(row)))

    def get_run(self, project: str, location: str, board: str, exp_id: str, run_id: str) -> dict[str, Any]:
        row = self._run_job(project, location, board, exp_id, run_id)
        return answer(run(row, self.jobs.phase(row)))

    def list_time_series(
        self, project: str, location: str, board: str, exp_id: str, run_id: str
    ) -> dict[str, Any]:
        row = self._run_job(project, location, board, exp_id, run_id)
        return answer(time_series_list(row, self.jobs.phase(row), self.jobs.outcome(row)))

    def get_time_series(
        self, project: str, location: str, board: str, exp_id: str, run_id: str, series: str
    ) -> dict[str, Any]:
        row = self._run_job(project, location, board, exp_id, run_id)
        return answer(time_series(row, self.jobs.phase(row), self.jobs.outcome(row), series))

    def read_time_series(
        self, project: str, location: str, board: str, exp_id: str, run_id: str, series: str
    ) -> dict[str, Any]:
        return answer(self._read(project, location, board, exp_id, run_id, series))

    def batch_read(self, project: str, location: str, board: str, names: list[str]) -> dict[str, Any]:
        """Several series of one TensorBoard at once, named in full by repeated `timeSeries`."""
        if not names:
            raise invalid("time_series is required.", "time_series")
        data = []
        for name in names:
            found = _SERIES_NAME.fullmatch(name)
            if found is None or found["tensorboard"] != board:
                raise invalid(
                    f"time_series {name!r} is not a time series of this TensorBoard.", "time_series"
                )
            one = self._read(project, location, board, found["experiment"], found["run"], found["series"])
            data.append(one.time_series_data)
        return answer(wire.BatchReadTensorboardTimeSeriesDataResponse(time_series_data=data))

    def _read(
        self, project: str, location: str, board: str, exp_id: str, run_id: str, series: str
    ) -> wire.ReadTensorboardTimeSeriesDataResponse:
        row = self._run_job(project, location, board, exp_id, run_id)
        return read(row, self.jobs.phase(row), self.jobs.outcome(row), series, self.jobs.clock())

    def _experiment_job(self, project: str, location: str, board: str, exp_id: str) -> JobRow:
        row = self.jobs.job_by_experiment(project, location, exp_id)
        check_tensorboard(row, board)
        return row

    def _run_job(self, project: str, location: str, board: str, exp_id: str, run_id: str) -> JobRow:
        row = self._experiment_job(project, location, board, exp_id)
        check_run(row, run_id)
        return row


def answer(message: wire.WireModel) -> dict[str, Any]:
    """The message's proto3 JSON (camelCase, int64 as strings, timestamps), keeping the empty lists
    these answers have always carried (`{"contexts": []}`, `"values": []`) that `to_json_dict`
    would leave out, so the bytes stay what Google's clients were tested against."""
    body: dict[str, Any] = message.model_dump(mode="json", by_alias=True, exclude_none=True)
    return body


def tensorboard_id(row: JobRow) -> str:
    """One TensorBoard per project and location, as the service creates on first tuning."""
    return location_tensorboard_id(row.project, row.location)


def location_tensorboard_id(project_number: str, location: str) -> str:
    digest = hashlib.sha256(f"{project_number}/{location}/tensorboard".encode()).hexdigest()
    return str(10**18 + int(digest, 16) % (9 * 10**18))


def tensorboard_name(row: JobRow) -> TensorboardName:
    return TensorboardName(row.project, row.location, tensorboard_id(row))


def run_name(row: JobRow) -> TensorboardRunName:
    return tensorboard_name(row).run(experiment_id(row), RUN_ID)


def series_id(display_name: str) -> str:
    return display_name.strip("/").replace("_", "-")


def check_tensorboard(row: JobRow, tensorboard: str) -> None:
    if tensorboard != tensorboard_id(row):
        raise not_found(f"Tensorboard {tensorboard} has no experiment {experiment_id(row)}.")


def check_run(row: JobRow, run: str) -> None:
    if run != RUN_ID:
        raise not_found(f"TensorboardRun {run} not found in experiment {experiment_id(row)}.")


def context(row: JobRow, phase: Phase) -> wire.Context:
    return wire.Context(
        name=experiment_name(row),
        display_name=experiment_id(row),
        etag=str(row.seq),
        schema_title="system.Experiment",
        schema_version="0.0.1",
        metadata={"backing_tensorboard_resource": str(tensorboard_name(row)), "experiment_deleted": False},
        **_made_at(phase.start),
    )


class _Times(TypedDict):
    create_time: datetime
    update_time: datetime


def _made_at(seconds: float | None) -> _Times:
    """A job's experiment, its TensorBoard and their series are made once, when a job starts,
    and never updated: both their times are that moment."""
    assert seconds is not None, "only a started job has an experiment"
    when = timestamp(seconds)
    return {"create_time": when, "update_time": when}


def tensorboard(project_number: str, location: str, first_start: float) -> wire.Tensorboard:
    """The location's TensorBoard, created when its first tuning job started."""
    tb_id = location_tensorboard_id(project_number, location)
    return wire.Tensorboard(
        name=str(TensorboardName(project_number, location, tb_id)),
        display_name="Default TensorBoard for tuning jobs",
        blob_storage_path_prefix=f"cloud-ai-platform-{tb_id}",
        is_default=True,
        etag=tb_id[-8:],
        **_made_at(first_start),
    )


def experiment(row: JobRow, phase: Phase) -> wire.TensorboardExperiment:
    return wire.TensorboardExperiment(
        name=str(tensorboard_name(row).experiment(experiment_id(row))),
        display_name=experiment_id(row),
        source="vertex-ai-tuning",
        etag=str(row.seq),
        **_made_at(phase.start),
    )


def run(row: JobRow, phase: Phase) -> wire.TensorboardRun:
    return wire.TensorboardRun(name=str(run_name(row)), display_name=RUN_ID, **_made_at(phase.start))


def runs(row: JobRow, phase: Phase) -> wire.ListTensorboardRunsResponse:
    return wire.ListTensorboardRunsResponse(tensorboard_runs=[run(row, phase)])


def series_names(outcome: TrainingOutcome) -> tuple[str, ...]:
    return TRAIN_SERIES + (EVAL_SERIES if outcome.validation else ())


def time_series_list(
    row: JobRow, phase: Phase, outcome: TrainingOutcome
) -> wire.ListTensorboardTimeSeriesResponse:
    return wire.ListTensorboardTimeSeriesResponse(
        tensorboard_time_series=[_series(row, phase, display) for display in series_names(outcome)]
    )


def time_series(
    row: JobRow, phase: Phase, outcome: TrainingOutcome, wanted: str
) -> wire.TensorboardTimeSeries:
    return _series(row, phase, _display(outcome, wanted))


def _series(row: JobRow, phase: Phase, display: str) -> wire.TensorboardTimeSeries:
    return wire.TensorboardTimeSeries(
        name=str(run_name(row).time_series(series_id(display))),
        display_name=display,
        value_type=wire.ValueType.SCALAR,
        plugin_name="scalars",
        **_made_at(phase.start),
    )


def _display(outcome: TrainingOutcome, wanted: str) -> str:
    by_id = {series_id(display): display for display in series_names(outcome)}
    if wanted not in by_id:
        raise not_found(f"TensorboardTimeSeries {wanted} not found in run {RUN_ID}.")
    return by_id[wanted]


def read(
    row: JobRow, phase: Phase, outcome: TrainingOutcome, wanted: str, now: float
) -> wire.ReadTensorboardTimeSeriesDataResponse:
    """`:read` of one series: every point recorded by `now`."""
    display = _display(outcome, wanted)
    values = [
        wire.TimeSeriesDataPoint(step=step, wall_time=timestamp(when), scalar=wire.Scalar(value=value))
        for step, when, value in points(row, phase, outcome, display, now)
    ]
    return wire.ReadTensorboardTimeSeriesDataResponse(
        time_series_data=wire.TimeSeriesData(
            tensorboard_time_series_id=wanted, value_type=wire.ValueType.SCALAR, values=values
        )
    )


def points(
    row: JobRow, phase: Phase, outcome: TrainingOutcome, display: str, now: float
) -> list[tuple[int, float, float]]:
    """(step, wall time, value) for every step recorded by `now`: all of them once the job succeeded."""
    steps, per_epoch = outcome.steps, outcome.steps_per_epoch
    recorded = step_times(phase, outcome, now)
    if display.startswith("/eval_"):
        recorded = [(step, when) for step, when in recorded if step % per_epoch == 0 or step == steps]
    return [(step, when, _value(row, outcome, display, step, steps)) for step, when in recorded]


def _value(row: JobRow, outcome: TrainingOutcome, display: str, step: int, steps: int) -> float:
    progress = step / steps
    noise = _noise(row.id, display, step) - 0.5
    evaluation = display.startswith("/eval_")
    if display.endswith("total_loss"):
        value = 0.35 + 2.1 * math.exp(-3.0 * progress) + 0.08 * noise + (0.12 if evaluation else 0.0)
    elif display.endswith("fraction_of_correct_next_step_preds"):
        value = 0.42 + 0.45 * (1 - math.exp(-3.0 * progress)) + 0.02 * noise - (0.04 if evaluation else 0.0)
    else:
        tokens = float(outcome.stats.get("userOutputTokenDistribution", {}).get("sum", "0"))
        value = max(1.0, round(tokens / max(1, outcome.steps_per_epoch) * (1 + 0.1 * noise)))
    return round(value, 6)


def _noise(job_id: str, display: str, step: int) -> float:
    digest = hashlib.sha256(f"{job_id}{display}{step}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
