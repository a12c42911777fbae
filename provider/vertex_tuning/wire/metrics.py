"""The metrics path's answers: a Vertex AI Experiment context and the TensorBoard series behind it.

Only what reading a tuning job's training metrics needs; the names are the services' own messages
(`Context`, `ListTensorboardRunsResponse`, `ReadTensorboardTimeSeriesDataResponse`, ...). Metrics are
an optional extra, so a data point that cannot be read is skipped rather than fatal.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError

from .proto import Int64, LenientTimestamp, WireModel

log = logging.getLogger(__name__)


class Context(WireModel):
    """A Vertex ML Metadata context; a tuning experiment's metadata names its TensorBoard."""

    name: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class TensorboardRun(WireModel):
    name: str
    display_name: str | None = None


class ListTensorboardRunsResponse(WireModel):
    tensorboard_runs: list[TensorboardRun] = Field(default_factory=list)
    next_page_token: str | None = None


class TensorboardTimeSeries(WireModel):
    name: str
    display_name: str | None = None


class ListTensorboardTimeSeriesResponse(WireModel):
    tensorboard_time_series: list[TensorboardTimeSeries] = Field(default_factory=list)
    next_page_token: str | None = None


class Scalar(WireModel):
    value: float = 0.0


class TimeSeriesDataPoint(WireModel):
    step: Int64 = 0
    wall_time: LenientTimestamp = None
    scalar: Scalar = Field(default_factory=Scalar)


def _readable_points(values: Any) -> Any:
    """Each point that can be read; a malformed one is skipped (metrics are an optional extra)."""
    if not isinstance(values, list):
        return []
    readable = []
    for value in values:
        try:
            readable.append(TimeSeriesDataPoint.model_validate(value))
        except ValidationError:
            log.debug("skipping a metric point this client cannot read: %r", value)
    return readable


class TimeSeriesData(WireModel):
    values: Annotated[list[TimeSeriesDataPoint], BeforeValidator(_readable_points)] = Field(
        default_factory=list
    )


class ReadTensorboardTimeSeriesDataResponse(WireModel):
    time_series_data: TimeSeriesData = Field(default_factory=TimeSeriesData)
