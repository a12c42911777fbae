"""Resource names and times as the service writes them: project numbers, numeric ids, RFC 3339."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from ..names import ContextName, EndpointName, ModelName
from .store import JobRow


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


def model_name(row: JobRow) -> str:
    return str(ModelName(row.project, row.location, row.model_id, str(row.model_version)))


def endpoint_name(row: JobRow) -> str:
    return str(EndpointName(row.project, row.location, row.endpoint_id))


def experiment_id(row: JobRow) -> str:
    return f"tuning-experiment-{row.id}"


def experiment_name(row: JobRow) -> str:
    return str(ContextName(row.project, row.location, "default", experiment_id(row)))
