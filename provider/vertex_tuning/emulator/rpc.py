"""Google's error envelope: the status names, their HTTP codes, and one exception to raise them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..wire import ErrorBody, ErrorEnvelope

# google.rpc.Code: name -> (HTTP status, rpc code number).
STATUS_CODES: dict[str, tuple[int, int]] = {
    "CANCELLED": (499, 1),
    "INVALID_ARGUMENT": (400, 3),
    "DEADLINE_EXCEEDED": (504, 4),
    "NOT_FOUND": (404, 5),
    "ALREADY_EXISTS": (409, 6),
    "PERMISSION_DENIED": (403, 7),
    "RESOURCE_EXHAUSTED": (429, 8),
    "FAILED_PRECONDITION": (400, 9),
    "ABORTED": (409, 10),
    "UNIMPLEMENTED": (501, 12),
    "INTERNAL": (500, 13),
    "UNAVAILABLE": (503, 14),
    "UNAUTHENTICATED": (401, 16),
}
# What a bare HTTP status means when a fault asks for one.
HTTP_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"


class ApiError(Exception):
    """An error the emulator answers with, in Google's envelope (field violations as BadRequest)."""

    def __init__(
        self,
        status: str,
        message: str,
        *,
        http_status: int | None = None,
        violations: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status or STATUS_CODES[status][0]
        self.violations = list(violations)

    def envelope(self) -> dict[str, Any]:
        details = None
        if self.violations:
            field_violations = [{"field": field, "description": text} for field, text in self.violations]
            details = [{"@type": BAD_REQUEST_TYPE, "fieldViolations": field_violations}]
        body = ErrorBody(code=self.http_status, message=self.message, status=self.status, details=details)
        return ErrorEnvelope(error=body).to_json_dict()


def invalid(message: str, field: str | None = None) -> ApiError:
    """One problem; naming `field` adds it as a BadRequest field violation."""
    return ApiError("INVALID_ARGUMENT", message, violations=[(field, message)] if field else ())


def bad_request(violations: Sequence[tuple[str, str]], status: str = "INVALID_ARGUMENT") -> ApiError:
    """Every problem found at once: the message lists them, one a line, and so do the details."""
    return ApiError(status, "\n".join(text for _, text in violations), violations=violations)


def not_found(message: str) -> ApiError:
    return ApiError("NOT_FOUND", message)
