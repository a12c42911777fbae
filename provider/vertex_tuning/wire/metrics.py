"""The metrics path's messages: a Vertex AI Experiment context and the TensorBoard series behind it.

The names are the services' own messages (`Context`, `ListTensorboardRunsResponse`,
`ReadTensorboardTimeSeriesDataResponse`, ...). The client reads a few of their fields to follow a
tuning job's training metrics; the emulator serves them whole, so every field it sends is declared
here, in the order it sends them. Metrics are an optional extra, so a data point that cannot be read
is skipped rather than fatal.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError

from .proto import Int64, LenientTimestamp, ProtoEnum, WireModel, enum_field

log = logging.getLogger(__name__)


class ValueType(ProtoEnum):
    """A TensorBoard time series' kind of value; tuning metrics are all SCALAR."""

    VALUE_TYPE_UNSPECIFIED = "VALUE_TYPE_UNSPECIFIED"
    SCALAR = "SCALAR"
    TENSOR = "TENSOR"
    BLOB_SEQUENCE = "BLOB_SEQUENCE"


ValueTypeField = enum_field(ValueType)


# --- Vertex ML Metadata -----------------------------------------------------------------------


class Context(WireModel):
    """A Vertex ML Metadata context; a tuning experiment's metadata names its TensorBoard."""

    name: str | None = None
    display_name: str | None = None
    etag: str | None = None
    schema_title: str | None = None
    schema_version: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    create_time: LenientTimestamp = None
    update_time: LenientTimestamp = None
    description: str | None = None


class ListContextsResponse(WireModel):
    contexts: list[Context] = Field(default_factory=list)
    next_page_token: str | None = None


# --- TensorBoard, its experiments, runs and time series -----------------------------------------


class Tensorboard(WireModel):
    name: str | None = None
    display_name: str | None = None
    blob_storage_path_prefix: str | None = None
    is_default: bool | None = None
    etag: str | None = None
    create_time: LenientTimestamp = None
    update_time: LenientTimestamp = None


class TensorboardExperiment(WireModel):
    name: str | None = None
    display_name: str | None = None
    source: str | None = None
    etag: str | None = None
    create_time: LenientTimestamp = None
    update_time: LenientTimestamp = None


class TensorboardRun(WireModel):
    name: str
    display_name: str | None = None
    create_time: LenientTimestamp = None
    update_time: LenientTimestamp = None


class ListTensorboardRunsResponse(WireModel):
    tensorboard_runs: list[TensorboardRun] = Field(default_factory=list)
    next_page_token: str | None = None


class TensorboardTimeSeries(WireModel):
    name: str
    display_name: str | None = None
    value_type: ValueTypeField | None = None  # type: ignore[valid-type]
    plugin_name: str | None = None
    create_time: LenientTimestamp = None
    update_time: LenientTimestamp = None


class ListTensorboardTimeSeriesResponse(WireModel):
    tensorboard_time_series: list[TensorboardTimeSeries] = Field(default_factory=list)
    next_page_token: str | None = None


# --- time series data ---------------------------------------------------------------------------


class Scalar(WireModel):
    # An integral value stays an int, so a count is written as sent (`123`, not `123.0`).
    value: int | float = 0.0


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
    tensorboard_time_series_id: str | None = None
    value_type: ValueTypeField | None = None  # type: ignore[valid-type]
    values: Annotated[list[TimeSeriesDataPoint], BeforeValidator(_readable_points)] = Field(
        default_factory=list
    )


class ReadTensorboardTimeSeriesDataResponse(WireModel):
    time_series_data: TimeSeriesData = Field(default_factory=TimeSeriesData)


class BatchReadTensorboardTimeSeriesDataResponse(WireModel):
    time_series_data: list[TimeSeriesData] = Field(default_factory=list)
