"""The exceptions every part of the package raises, one family rooted at `VertexTuningError`.

`ApiError` keeps what the service said (HTTP status, canonical status, message, details) and its
subclasses are chosen from the canonical status by a table, so callers catch `NotFoundError` rather
than compare strings. `str(error)` is one sentence a user can act on: the request's method and
resource name, what the service said, and what to do next. No message ever carries a token: errors
are built from the resource name and the response body, never from request headers.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx


class VertexTuningError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigurationError(VertexTuningError):
    """Missing or invalid settings: project, location, emulator host, credentials."""


class EngineCancelledError(VertexTuningError):
    """Pulumi asked the provider to cancel (the first Ctrl-C) while it waited (cancellation.py)."""


class InvalidNameError(ConfigurationError):
    """A project, location, id or resource name that is not safe to put in a host name or a path."""


class InvalidSpecError(VertexTuningError):
    """The inputs do not describe a valid tuning job; carries every (input name, reason) problem."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems))


class StagingUriError(ConfigurationError):
    """A staging location that is not `gs://BUCKET[/PREFIX]` with safe names."""


class _StructuredError(VertexTuningError):
    """An error whose message is built from its fields, and which pickles (keyword-only init)."""

    def _sentence(self) -> str:
        raise NotImplementedError

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__.copy()))


def _rebuild(error_class: type[_StructuredError], state: dict[str, Any]) -> _StructuredError:
    error = error_class.__new__(error_class)
    error.__dict__.update(state)
    Exception.__init__(error, error._sentence())
    return error


class ApiError(_StructuredError):
    """The service answered with an error."""

    hint: ClassVar[str] = ""

    def __init__(
        self,
        *,
        http_status: int,
        status: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        method: str = "",
        resource: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.http_status = http_status
        self.status = status
        self.message = message
        self.details = details or []
        self.method = method
        self.resource = resource
        self.retry_after = retry_after
        super().__init__(self._sentence())

    def _sentence(self) -> str:
        request = f"{self.method} {self.resource}".strip() or "the request"
        # The service's message is quoted verbatim: users search for it.
        text = f"{request} failed with {self.http_status} {self.status} ({self.message})"
        return f"{text}; {self.hint}." if self.hint else f"{text}."

    @classmethod
    def from_response(
        cls, response: httpx.Response, *, method: str, resource: str, retry_after: float | None = None
    ) -> ApiError:
        """The typed error for a non-2xx response, from Google's error envelope or the bare body."""
        status, message, details = _parse_envelope(response)
        error_class = ERROR_CLASSES.get(status, ApiError)
        return error_class(
            http_status=response.status_code,
            status=status,
            message=message,
            details=details,
            method=method,
            resource=resource,
            retry_after=retry_after,
        )


class InvalidArgumentError(ApiError):
    hint = "fix the input the message names and run again"


class FailedPreconditionError(ApiError):
    hint = "the resource is not in a state that allows this call; check its current state"


class OutOfRangeError(ApiError):
    hint = "fix the input the message names and run again"


class NotFoundError(ApiError):
    hint = "check the name, project and location"


class AlreadyExistsError(ApiError):
    pass


class AbortedError(ApiError):
    hint = "another change happened at the same time; run again"


class PermissionDeniedError(ApiError):
    hint = (
        "check that the caller (or the impersonated service account) has the role the call needs "
        "(Vertex AI User on the project; Storage Object Creator on a staging bucket) and that the API "
        "is enabled"
    )


class UnauthenticatedError(ApiError):
    hint = "refresh credentials with `gcloud auth application-default login`"


class ResourceExhaustedError(ApiError):
    hint = "a quota or rate limit was hit; wait and retry, or request more quota for the project"


class CancelledError(ApiError):
    pass


class InternalError(ApiError):
    hint = "the service failed; retry later"


class UnavailableError(ApiError):
    hint = "the service is unavailable; retry later"


class DeadlineExceededError(ApiError):
    hint = "the service timed out; retry later"


class UnimplementedError(ApiError):
    hint = "this API version or location may not support the call"


ERROR_CLASSES: dict[str, type[ApiError]] = {
    "INVALID_ARGUMENT": InvalidArgumentError,
    "FAILED_PRECONDITION": FailedPreconditionError,
    "OUT_OF_RANGE": OutOfRangeError,
    "NOT_FOUND": NotFoundError,
    "ALREADY_EXISTS": AlreadyExistsError,
    "ABORTED": AbortedError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "UNAUTHENTICATED": UnauthenticatedError,
    "RESOURCE_EXHAUSTED": ResourceExhaustedError,
    "CANCELLED": CancelledError,
    "INTERNAL": InternalError,
    "DATA_LOSS": InternalError,
    "UNAVAILABLE": UnavailableError,
    "DEADLINE_EXCEEDED": DeadlineExceededError,
    "UNIMPLEMENTED": UnimplementedError,
}
"""Canonical status (google.rpc.Code name) to exception class."""

STATUS_BY_HTTP: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""The canonical status an HTTP status maps to, for bodies without an envelope (a proxy's page)."""

_MAX_BODY_IN_MESSAGE = 300


def _parse_envelope(response: httpx.Response) -> tuple[str, str, list[dict[str, Any]]]:
    code = response.status_code
    fallback_status = STATUS_BY_HTTP.get(code, "INTERNAL" if code >= 500 else "UNKNOWN")
    try:
        error = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        body = response.text.strip()[:_MAX_BODY_IN_MESSAGE]
        return fallback_status, body or response.reason_phrase or "no message", []
    status = error.get("status")
    details = error.get("details")
    return (
        status if isinstance(status, str) and status else fallback_status,
        str(error.get("message") or response.reason_phrase or "no message"),
        [item for item in details if isinstance(item, dict)] if isinstance(details, list) else [],
    )


class TransportError(_StructuredError):
    """The request got no answer (connection refused, reset, timed out), after any retries."""

    def __init__(self, *, method: str, resource: str, reason: str) -> None:
        self.method = method
        self.resource = resource
        self.reason = reason
        super().__init__(self._sentence())

    def _sentence(self) -> str:
        return (
            f"{self.method} {self.resource} got no answer from the service ({self.reason}); "
            "check the network, the location and VERTEX_AI_EMULATOR_HOST if set, then retry."
        )


class AmbiguousCreateError(TransportError):
    """A create was sent and no usable answer came back: the job may exist. Look it up before retrying."""

    def _sentence(self) -> str:
        return (
            f"{self.method} {self.resource} was sent but its answer was lost ({self.reason}); "
            "the tuning job may have been created, so look it up by its labels before creating another."
        )
