"""The exceptions every part of the package raises, one family rooted at `VertexTuningError`.

`ApiError` keeps what the service said (HTTP status, canonical status, message, details) and its
subclasses are chosen from the canonical status by one table (`STATUS_CODES`: name, google.rpc.Code
number, HTTP status, class, hint), which the emulator answers from too, so callers catch
`NotFoundError` rather than compare strings. `str(error)` is one sentence a user can act on: the
request's method and resource name, what the service said, and what to do next. No message ever
carries a token: errors are built from the resource name and the response body, never from request
headers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypedDict

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

    @property
    def hint(self) -> str:
        """What to do next, as the status table says for this class ("" when it says nothing)."""
        return _HINTS.get(type(self), "")

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
        said = _parse_envelope(response)
        error_class = ERROR_CLASSES.get(said["status"], ApiError)
        return error_class(
            http_status=response.status_code,
            **said,
            method=method,
            resource=resource,
            retry_after=retry_after,
        )


# One class per canonical status that callers catch; what each says to do is in the table below.
class InvalidArgumentError(ApiError):
    """INVALID_ARGUMENT: the request itself is wrong."""


class FailedPreconditionError(ApiError):
    """FAILED_PRECONDITION: the resource's state does not allow the call (e.g. cancel a finished job)."""


class OutOfRangeError(ApiError):
    """OUT_OF_RANGE: a value past what the service accepts."""


class NotFoundError(ApiError):
    """NOT_FOUND: no such resource."""


class AlreadyExistsError(ApiError):
    """ALREADY_EXISTS: the resource was made before."""


class AbortedError(ApiError):
    """ABORTED: a concurrent change won."""


class PermissionDeniedError(ApiError):
    """PERMISSION_DENIED: the caller lacks a role, or the API is not enabled."""


class UnauthenticatedError(ApiError):
    """UNAUTHENTICATED: no credentials, or stale ones."""


class ResourceExhaustedError(ApiError):
    """RESOURCE_EXHAUSTED: a quota or rate limit."""


class CancelledError(ApiError):
    """CANCELLED: the request was cancelled before it completed."""


class InternalError(ApiError):
    """INTERNAL or DATA_LOSS: the service failed."""


class UnavailableError(ApiError):
    """UNAVAILABLE: the service is down for now."""


class DeadlineExceededError(ApiError):
    """DEADLINE_EXCEEDED: the service ran out of time."""


class UnimplementedError(ApiError):
    """UNIMPLEMENTED: not served by this API version or location."""


@dataclass(frozen=True)
class StatusCode:
    """One canonical status: its google.rpc.Code number, Google's HTTP status for it, the class the
    client raises, what to tell the user, and which bare HTTP statuses (a proxy's page, no envelope)
    mean it."""

    name: str
    number: int
    http_status: int
    error_class: type[ApiError] = ApiError
    hint: str = ""
    means_http: tuple[int, ...] = ()


_FIX_INPUT = "fix the input the message names and run again"

STATUS_CODES: tuple[StatusCode, ...] = (
    StatusCode("CANCELLED", 1, 499, CancelledError, means_http=(499,)),
    StatusCode("UNKNOWN", 2, 500),
    StatusCode("INVALID_ARGUMENT", 3, 400, InvalidArgumentError, _FIX_INPUT, means_http=(400,)),
    StatusCode(
        "DEADLINE_EXCEEDED", 4, 504, DeadlineExceededError, "the service timed out; retry later", (504,)
    ),
    StatusCode("NOT_FOUND", 5, 404, NotFoundError, "check the name, project and location", (404,)),
    StatusCode("ALREADY_EXISTS", 6, 409, AlreadyExistsError),
    StatusCode(
        "PERMISSION_DENIED",
        7,
        403,
        PermissionDeniedError,
        "check that the caller (or the impersonated service account) has the role the call needs "
        "(Vertex AI User on the project; Storage Object Creator on a staging bucket) and that the API "
        "is enabled",
        (403,),
    ),
    StatusCode(
        "RESOURCE_EXHAUSTED",
        8,
        429,
        ResourceExhaustedError,
        "a quota or rate limit was hit; wait and retry, or request more quota for the project",
        (429,),
    ),
    # Google documents 400 for it; a 412 page from a proxy means it too.
    StatusCode(
        "FAILED_PRECONDITION",
        9,
        400,
        FailedPreconditionError,
        "the resource is not in a state that allows this call; check its current state",
        (412,),
    ),
    StatusCode(
        "ABORTED", 10, 409, AbortedError, "another change happened at the same time; run again", (409,)
    ),
    StatusCode("OUT_OF_RANGE", 11, 400, OutOfRangeError, _FIX_INPUT),
    StatusCode(
        "UNIMPLEMENTED",
        12,
        501,
        UnimplementedError,
        "this API version or location may not support the call",
        (501,),
    ),
    StatusCode("INTERNAL", 13, 500, InternalError, "the service failed; retry later", (500,)),
    StatusCode(
        "UNAVAILABLE", 14, 503, UnavailableError, "the service is unavailable; retry later", (502, 503)
    ),
    StatusCode("DATA_LOSS", 15, 500, InternalError, "the service failed; retry later"),
    StatusCode(
        "UNAUTHENTICATED",
        16,
        401,
        UnauthenticatedError,
        "refresh credentials with `gcloud auth application-default login`",
        (401,),
    ),
)
"""google.rpc.Code, the one table the client's error mapping and the emulator's answers derive from."""

STATUS_BY_NAME: dict[str, StatusCode] = {code.name: code for code in STATUS_CODES}

ERROR_CLASSES: dict[str, type[ApiError]] = {
    code.name: code.error_class for code in STATUS_CODES if code.error_class is not ApiError
}
"""Canonical status (google.rpc.Code name) to exception class."""

STATUS_BY_HTTP: dict[int, str] = {http: code.name for code in STATUS_CODES for http in code.means_http}
"""The canonical status an HTTP status maps to, for bodies without an envelope (a proxy's page)."""

_HINTS: dict[type[ApiError], str] = {code.error_class: code.hint for code in STATUS_CODES if code.hint}

_MAX_BODY_IN_MESSAGE = 300


class _Said(TypedDict):
    status: str
    message: str
    details: list[dict[str, Any]]


def _parse_envelope(response: httpx.Response) -> _Said:
    """What the service said: its envelope's status, message and details, or the bare body's."""
    code = response.status_code
    fallback_status = STATUS_BY_HTTP.get(code, "INTERNAL" if code >= 500 else "UNKNOWN")
    try:
        error = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        body = response.text.strip()[:_MAX_BODY_IN_MESSAGE]
        return {
            "status": fallback_status,
            "message": body or response.reason_phrase or "no message",
            "details": [],
        }
    status = error.get("status")
    details = error.get("details")
    return {
        "status": status if isinstance(status, str) and status else fallback_status,
        "message": str(error.get("message") or response.reason_phrase or "no message"),
        "details": [item for item in details if isinstance(item, dict)] if isinstance(details, list) else [],
    }


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


class UnusableAnswerError(VertexTuningError):
    """The service answered 200 with a body this client cannot use (not a validation traceback)."""


# --- what waiting for a tuning job can end in (lifecycle) ----------------------------------------


class TuningJobFailedError(VertexTuningError):
    """The job ended in a state other than SUCCEEDED."""


class WaitTimeoutError(VertexTuningError):
    """The wait's deadline passed; the job keeps running and the next create adopts it."""


class WaitInterruptedError(VertexTuningError):
    """Waiting failed (an error polling could not ride through); the job keeps running."""

    def __init__(self, job_name: str, error: Exception) -> None:
        if isinstance(error, EngineCancelledError):
            super().__init__(
                f"Pulumi was interrupted (Ctrl-C): stopped waiting for tuning job {job_name}, which keeps "
                "running. Run `pulumi up` again to adopt it (the next create never starts a second job), "
                f"or stop it with `vertex-tuning jobs cancel {job_name}`."
            )
            return
        super().__init__(
            f"Tuning job {job_name} keeps running, but waiting for it failed: {error}. Fix that, then run "
            "`pulumi up` again: the next create adopts this job, it never starts a second one. If it is "
            f"no longer wanted, stop it with `vertex-tuning jobs cancel {job_name}`."
        )
