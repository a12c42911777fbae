"""A tuning job's training metrics, read the way Vertex keeps them: through its Experiment to TensorBoard.

The job's `experiment` names a Vertex ML Metadata context whose metadata names the TensorBoard;
under it the experiment (same id as the context) has runs, each run has time series, and each
series' `:read` gives its points. Every call goes through the client's one request loop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .calls import Call
from .names import ContextName, TensorboardName, TensorboardRunName, TimeSeriesName, TuningJobName
from .wire import (
    Context,
    ListTensorboardRunsResponse,
    ListTensorboardTimeSeriesResponse,
    ReadTensorboardTimeSeriesDataResponse,
    TimeSeriesDataPoint,
    TuningJob,
)

if TYPE_CHECKING:
    from .client import VertexClient


@dataclass(frozen=True)
class MetricPoint:
    """One point of a training metric's time series."""

    step: int
    value: float
    wall_time: datetime | None = None

    @classmethod
    def from_wire(cls, point: TimeSeriesDataPoint) -> MetricPoint:
        # The wire keeps an integral value as sent; a metric point is always a float.
        return cls(step=point.step, value=float(point.scalar.value), wall_time=point.wall_time)


def read_metrics(client: VertexClient, job: TuningJob | TuningJobName) -> dict[str, list[MetricPoint]]:
    """Training metrics by name (`/train_total_loss`, ...), each sorted by step; {} before any exist.

    Follows the job's Vertex AI Experiment to its TensorBoard: experiment context, then the
    tensorboard experiment's runs, their time series, and each series' data. A point that
    cannot be read is skipped; an answer that cannot be used at all is a VertexTuningError.
    """
    if not isinstance(job, TuningJob):
        job = client.get_tuning_job(job)
    if not job.experiment:
        return {}
    experiment = ContextName.parse(job.experiment)  # InvalidNameError: never follow a hostile link
    context = client.fetch(Context, Call("GET", experiment.location, str(experiment)))
    backing = context.metadata.get("backing_tensorboard_resource")
    if not backing:
        return {}
    tensorboard = TensorboardName.parse(backing)
    runs = Call("GET", tensorboard.location, f"{tensorboard.experiment(experiment.context_id)}/runs")
    metrics: dict[str, list[MetricPoint]] = defaultdict(list)
    for page in client.fetch_pages(ListTensorboardRunsResponse, runs):
        for run in page.tensorboard_runs:
            for series, points in _read_run(client, TensorboardRunName.parse(run.name)):
                metrics[series].extend(points)
    return {name: sorted(points, key=lambda point: point.step) for name, points in metrics.items()}


def _read_run(client: VertexClient, run: TensorboardRunName) -> Iterator[tuple[str, list[MetricPoint]]]:
    location = run.location
    for page in client.fetch_pages(
        ListTensorboardTimeSeriesResponse, Call("GET", location, f"{run}/timeSeries")
    ):
        for series in page.tensorboard_time_series:
            name = TimeSeriesName.parse(series.name)
            data = client.fetch(
                ReadTensorboardTimeSeriesDataResponse, Call("GET", location, str(name), verb=":read")
            )
            points = [MetricPoint.from_wire(point) for point in data.time_series_data.values]
            yield series.display_name or name.time_series_id, points
