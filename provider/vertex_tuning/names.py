"""Validated names: nothing goes into a host name or a URL path before it passes here (decision 10).

Every part (project, location, numeric id) must match a strict ASCII pattern, so a location such as
`us-central1.evil.com/x`, a `../`, a `%2F`, a newline or a Cyrillic look-alike can never steer a
request, or a bearer token, to another host or path. Parsers return typed parts and `str()` renders
the canonical name back from those parts, so what reaches the wire is what was validated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, NamedTuple, TypeVar

from .errors import InvalidNameError

PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
PROJECT_NUMBER = re.compile(r"[1-9][0-9]{0,18}")
LOCATION = re.compile(r"global|us|eu|[a-z]+-[a-z]+[0-9]{1,2}")
NUMERIC_ID = re.compile(r"[0-9]{1,19}")
# Experiment, context and run ids are user-chosen strings on the real service (no dots or slashes).
RESOURCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
MODEL_VERSION = re.compile(r"[0-9]{1,19}|[a-z][a-z0-9_-]{0,127}")
BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")
MAX_OBJECT_NAME_BYTES = 1024

DEFAULT_LOCATION = "us-central1"
_Name = TypeVar("_Name", bound="LocationName")
MULTI_REGION_HOSTS = {
    "us": "aiplatform.us.rep.googleapis.com",
    "eu": "aiplatform.eu.rep.googleapis.com",
}


def _check(kind: str, value: object, pattern: re.Pattern[str], example: str) -> str:
    if not isinstance(value, str):
        raise InvalidNameError(f"{kind} must be a string such as {example!r}, got {type(value).__name__}")
    # fullmatch alone would already reject these; the explicit check gives the clearer message.
    if not value.isascii() or not value.isprintable():
        raise InvalidNameError(
            f"{kind} {value!r} contains a non-ASCII or control character; use plain ASCII such as {example!r}"
        )
    if pattern.fullmatch(value) is None:
        raise InvalidNameError(f"{kind} {value!r} is not valid; expected something like {example!r}")
    return value


def validate_project(value: object, source: str = "") -> str:
    """A project id (`my-project-123`) or project number (`123456789012`)."""
    if isinstance(value, str) and value.isascii() and PROJECT_NUMBER.fullmatch(value):
        return value
    return _check(_from("project", source), value, PROJECT_ID, "my-project-123")


def validate_location(value: object, source: str = "") -> str:
    """A Vertex AI location: a region (`us-central1`), a multi-region (`us`, `eu`) or `global`."""
    return _check(_from("location", source), value, LOCATION, DEFAULT_LOCATION)


def _from(kind: str, source: str) -> str:
    return f"{kind} (from {source})" if source else kind


def validate_numeric_id(value: object, kind: str = "id") -> str:
    """A numeric resource id such as a tuning job, endpoint or model id (up to 19 digits)."""
    return _check(kind, value, NUMERIC_ID, "1234567890")


def validate_resource_id(value: object, kind: str = "id") -> str:
    """A user-chosen resource id (experiment, context, run): letters, digits, `_` and `-`."""
    return _check(kind, value, RESOURCE_ID, "tuning-experiment-1")


def _split(kind: str, text: object, collections: tuple[str, ...], example: str) -> list[str]:
    """Split `projects/p/locations/l/<c1>/<id1>/...`, checking the collection words."""
    if not isinstance(text, str):
        raise InvalidNameError(f"{kind} must be a string such as {example!r}, got {type(text).__name__}")
    if not text.isascii() or not text.isprintable():
        raise InvalidNameError(
            f"{kind} {text!r} contains a non-ASCII or control character; expected {example!r}"
        )
    parts = text.split("/")
    expected = ("projects", "locations", *collections)
    if len(parts) != 2 * len(expected) or tuple(parts[0::2]) != expected:
        raise InvalidNameError(f"{kind} {text!r} is not valid; expected the form {example!r}")
    return parts[1::2]


class Segment(NamedTuple):
    """One `{collection}/{id}` step of a name after its location, and how its id is checked."""

    collection: str
    field: str
    kind: str
    check: Callable[[object, str], str]
    example: str = "123"


@dataclass(frozen=True)
class LocationName:
    """`projects/{project}/locations/{location}`: the parent of tuning jobs and endpoints.

    Subclasses are names under a location, described by `_PATH`: one `Segment` per collection
    after the location, so parsing, rendering and their messages are written once here.
    """

    project: str
    location: str

    _PATH: ClassVar[tuple[Segment, ...]] = ()

    def __post_init__(self) -> None:
        validate_project(self.project)
        validate_location(self.location)
        for segment in self._PATH:
            segment.check(getattr(self, segment.field), segment.kind)

    @classmethod
    def parse(cls: type[_Name], text: object) -> _Name:
        # "tuning job id" names the last segment, so "tuning job name" names the whole.
        kind = f"{cls._PATH[-1].kind.removesuffix(' id')} name" if cls._PATH else "location name"
        example = cls.render("my-project", DEFAULT_LOCATION, *(segment.example for segment in cls._PATH))
        return cls(*_split(kind, text, tuple(segment.collection for segment in cls._PATH), example))

    @classmethod
    def render(cls, *parts: str) -> str:
        """The name of these parts, unvalidated: for messages quoting what a caller asked for."""
        words = ("projects", "locations", *(segment.collection for segment in cls._PATH))
        return "/".join(f"{word}/{part}" for word, part in zip(words, parts, strict=True))

    @property
    def parent(self) -> LocationName:
        return LocationName(self.project, self.location)

    def __str__(self) -> str:
        return self.render(self.project, self.location, *(getattr(self, s[1]) for s in self._PATH))


@dataclass(frozen=True)
class TuningJobName(LocationName):
    """`projects/{project}/locations/{location}/tuningJobs/{job_id}`."""

    job_id: str
    _PATH = (Segment("tuningJobs", "job_id", "tuning job id", validate_numeric_id),)


@dataclass(frozen=True)
class EndpointName(LocationName):
    """`projects/{project}/locations/{location}/endpoints/{endpoint_id}`."""

    endpoint_id: str
    _PATH = (Segment("endpoints", "endpoint_id", "endpoint id", validate_numeric_id),)


@dataclass(frozen=True)
class ModelName(LocationName):
    """`projects/{project}/locations/{location}/models/{model_id}[@{version}]`."""

    model_id: str
    version: str | None = None
    _PATH = (Segment("models", "model_id", "model id", validate_numeric_id),)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.version is not None:
            _check("model version", self.version, MODEL_VERSION, "1")

    @classmethod
    def parse(cls, text: object) -> ModelName:
        example = "projects/my-project/locations/us-central1/models/123@1"
        project, location, model = _split("model name", text, ("models",), example)
        model_id, at, version = model.partition("@")
        return cls(project, location, model_id, version if at else None)

    def __str__(self) -> str:
        suffix = f"@{self.version}" if self.version is not None else ""
        return f"{self.render(self.project, self.location, self.model_id)}{suffix}"


@dataclass(frozen=True)
class ContextName(LocationName):
    """A Vertex AI Experiment as a metadata context: `.../metadataStores/{store}/contexts/{context_id}`."""

    store: str
    context_id: str
    _PATH = (
        Segment("metadataStores", "store", "metadata store id", validate_resource_id, "default"),
        Segment("contexts", "context_id", "experiment id", validate_resource_id, "my-experiment"),
    )


_TENSORBOARD = Segment("tensorboards", "tensorboard_id", "tensorboard id", validate_numeric_id, "1")


@dataclass(frozen=True)
class TensorboardName(LocationName):
    """`projects/{project}/locations/{location}/tensorboards/{tensorboard_id}`."""

    tensorboard_id: str
    _PATH = (_TENSORBOARD,)

    def experiment(self, experiment_id: str) -> TensorboardExperimentName:
        return TensorboardExperimentName(self.project, self.location, self.tensorboard_id, experiment_id)

    def run(self, experiment_id: str, run_id: str) -> TensorboardRunName:
        return TensorboardRunName(self.project, self.location, self.tensorboard_id, experiment_id, run_id)


_EXPERIMENT = Segment("experiments", "experiment_id", "tensorboard experiment id", validate_resource_id, "e")
_RUN = Segment("runs", "run_id", "tensorboard run id", validate_resource_id, "r")


@dataclass(frozen=True)
class TensorboardExperimentName(LocationName):
    """`.../tensorboards/{tensorboard_id}/experiments/{experiment_id}`."""

    tensorboard_id: str
    experiment_id: str
    _PATH = (_TENSORBOARD, _EXPERIMENT)


@dataclass(frozen=True)
class TensorboardRunName(LocationName):
    """`.../tensorboards/{tensorboard_id}/experiments/{experiment_id}/runs/{run_id}`."""

    tensorboard_id: str
    experiment_id: str
    run_id: str
    _PATH = (_TENSORBOARD, _EXPERIMENT, _RUN)

    def time_series(self, time_series_id: str) -> TimeSeriesName:
        return TimeSeriesName(
            self.project, self.location, self.tensorboard_id, self.experiment_id, self.run_id, time_series_id
        )


@dataclass(frozen=True)
class TimeSeriesName(LocationName):
    """`.../runs/{run_id}/timeSeries/{time_series_id}`."""

    tensorboard_id: str
    experiment_id: str
    run_id: str
    time_series_id: str
    _PATH = (
        _TENSORBOARD,
        _EXPERIMENT,
        _RUN,
        Segment("timeSeries", "time_series_id", "time series id", validate_resource_id, "1"),
    )

    @property
    def run(self) -> TensorboardRunName:
        return TensorboardRunName(
            self.project, self.location, self.tensorboard_id, self.experiment_id, self.run_id
        )


def validate_bucket(value: object) -> str:
    """A Cloud Storage bucket name: lowercase letters, digits, `-`, `_` and `.`."""
    return _check("bucket", value, BUCKET, "my-bucket")


def validate_object_name(value: object) -> str:
    """A Cloud Storage object name that cannot change the path it is sent to (it is %-escaped whole):
    printable ASCII, no backslash, no empty, `.` or `..` segments."""
    if not isinstance(value, str) or not value.isascii() or not value.isprintable() or "\\" in value:
        raise InvalidNameError(f"object name {value!r} must be printable ASCII without backslashes")
    if len(value.encode()) > MAX_OBJECT_NAME_BYTES:
        raise InvalidNameError(f"object name {value[:40]!r}... is longer than {MAX_OBJECT_NAME_BYTES} bytes")
    if any(part in ("", ".", "..") for part in value.split("/")):
        raise InvalidNameError(f"object name {value!r} must not contain empty, '.' or '..' path segments")
    return value


@dataclass(frozen=True)
class GcsObjectName:
    """`gs://{bucket}/{object}`: a Cloud Storage object, as datasets are named."""

    bucket: str
    object_name: str

    def __post_init__(self) -> None:
        validate_bucket(self.bucket)
        validate_object_name(self.object_name)

    @classmethod
    def parse(cls, uri: object) -> GcsObjectName:
        if not isinstance(uri, str) or not uri.startswith("gs://"):
            raise InvalidNameError(f"{uri!r} is not a Cloud Storage URI such as 'gs://my-bucket/train.jsonl'")
        bucket, _, name = uri.removeprefix("gs://").partition("/")
        return cls(bucket, name)

    def __str__(self) -> str:
        return f"gs://{self.bucket}/{self.object_name}"


def api_host(location: str) -> str:
    """The Vertex AI host serving `location`: regional, global, or a multi-region `rep` host."""
    validate_location(location)
    if location == "global":
        return "aiplatform.googleapis.com"
    return MULTI_REGION_HOSTS.get(location, f"{location}-aiplatform.googleapis.com")


def console_url(job_name: str | TuningJobName) -> str:
    """The Cloud console page of a tuning job, where its progress and metrics show."""
    name = job_name if isinstance(job_name, TuningJobName) else TuningJobName.parse(job_name)
    return (
        "https://console.cloud.google.com/vertex-ai/generative/language/locations/"
        f"{name.location}/tuning/tuningJob/{name.job_id}?project={name.project}"
    )
