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
from typing import Any

from ..names import TensorboardExperimentName, TensorboardName, TensorboardRunName, TimeSeriesName
from .lifecycle import Phase, step_times
from .outcome import TrainingOutcome
from .resources import experiment_id, experiment_name, rfc3339
from .rpc import not_found
from .store import JobRow

VALUE_TYPES = ["VALUE_TYPE_UNSPECIFIED", "SCALAR", "TENSOR", "BLOB_SEQUENCE"]
TRAIN_SERIES = ("/train_total_loss", "/train_fraction_of_correct_next_step_preds", "/train_num_predictions")
EVAL_SERIES = ("/eval_total_loss", "/eval_fraction_of_correct_next_step_preds", "/eval_num_predictions")
RUN_ID = "tuning"


def tensorboard_id(row: JobRow) -> str:
    """One TensorBoard per project and location, as the service creates on first tuning."""
    return location_tensorboard_id(row.project, row.location)


def location_tensorboard_id(project_number: str, location: str) -> str:
    digest = hashlib.sha256(f"{project_number}/{location}/tensorboard".encode()).hexdigest()
    return str(10**18 + int(digest, 16) % (9 * 10**18))


def tensorboard_name(row: JobRow) -> TensorboardName:
    return TensorboardName(row.project, row.location, tensorboard_id(row))


def run_name(row: JobRow) -> TensorboardRunName:
    return TensorboardRunName(tensorboard_name(row), experiment_id(row), RUN_ID)


def series_id(display_name: str) -> str:
    return display_name.strip("/").replace("_", "-")


def check_tensorboard(row: JobRow, tensorboard: str) -> None:
    if tensorboard != tensorboard_id(row):
        raise not_found(f"Tensorboard {tensorboard} has no experiment {experiment_id(row)}.")


def check_run(row: JobRow, run: str) -> None:
    if run != RUN_ID:
        raise not_found(f"TensorboardRun {run} not found in experiment {experiment_id(row)}.")


def context(row: JobRow, phase: Phase) -> dict[str, Any]:
    assert phase.start is not None
    return {
        "name": experiment_name(row),
        "displayName": experiment_id(row),
        "etag": str(row.seq),
        "schemaTitle": "system.Experiment",
        "schemaVersion": "0.0.1",
        "metadata": {
            "backing_tensorboard_resource": str(tensorboard_name(row)),
            "experiment_deleted": False,
        },
        "createTime": rfc3339(phase.start),
        "updateTime": rfc3339(phase.start),
    }


def tensorboard(project_number: str, location: str, first_start: float) -> dict[str, Any]:
    """The location's TensorBoard, created when its first tuning job started."""
    tb_id = location_tensorboard_id(project_number, location)
    when = rfc3339(first_start)
    return {
        "name": str(TensorboardName(project_number, location, tb_id)),
        "displayName": "Default TensorBoard for tuning jobs",
        "blobStoragePathPrefix": f"cloud-ai-platform-{tb_id}",
        "isDefault": True,
        "etag": tb_id[-8:],
        "createTime": when,
        "updateTime": when,
    }


def experiment(row: JobRow, phase: Phase) -> dict[str, Any]:
    assert phase.start is not None
    when = rfc3339(phase.start)
    return {
        "name": str(TensorboardExperimentName(tensorboard_name(row), experiment_id(row))),
        "displayName": experiment_id(row),
        "source": "vertex-ai-tuning",
        "etag": str(row.seq),
        "createTime": when,
        "updateTime": when,
    }


def run(row: JobRow, phase: Phase) -> dict[str, Any]:
    assert phase.start is not None
    when = rfc3339(phase.start)
    return {"name": str(run_name(row)), "displayName": RUN_ID, "createTime": when, "updateTime": when}


def runs(row: JobRow, phase: Phase) -> dict[str, Any]:
    return {"tensorboardRuns": [run(row, phase)]}


def series_names(outcome: TrainingOutcome) -> tuple[str, ...]:
    return TRAIN_SERIES + (EVAL_SERIES if outcome.validation else ())


def time_series_list(row: JobRow, phase: Phase, outcome: TrainingOutcome) -> dict[str, Any]:
    return {"tensorboardTimeSeries": [_series(row, phase, display) for display in series_names(outcome)]}


def time_series(row: JobRow, phase: Phase, outcome: TrainingOutcome, wanted: str) -> dict[str, Any]:
    return _series(row, phase, _display(outcome, wanted))


def _series(row: JobRow, phase: Phase, display: str) -> dict[str, Any]:
    assert phase.start is not None
    when = rfc3339(phase.start)
    return {
        "name": str(TimeSeriesName(run_name(row), series_id(display))),
        "displayName": display,
        "valueType": "SCALAR",
        "pluginName": "scalars",
        "createTime": when,
        "updateTime": when,
    }


def _display(outcome: TrainingOutcome, wanted: str) -> str:
    by_id = {series_id(display): display for display in series_names(outcome)}
    if wanted not in by_id:
        raise not_found(f"TensorboardTimeSeries {wanted} not found in run {RUN_ID}.")
    return by_id[wanted]


def read(row: JobRow, phase: Phase, outcome: TrainingOutcome, wanted: str, now: float) -> dict[str, Any]:
    """`:read` of one series: every point recorded by `now`."""
    display = _display(outcome, wanted)
    return {
        "timeSeriesData": {
            "tensorboardTimeSeriesId": wanted,
            "valueType": "SCALAR",
            "values": [
                {"step": str(step), "wallTime": rfc3339(when), "scalar": {"value": value}}
                for step, when, value in points(row, phase, outcome, display, now)
            ],
        }
    }


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
