"""Google's error envelope and one exception to raise it; status names and HTTP codes come from
`errors.STATUS_CODES`, the table the client reads errors with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import STATUS_BY_HTTP, STATUS_BY_NAME
from ..wire import ErrorBody, ErrorEnvelope

# What a bare HTTP status means when a fault asks for one: the client's reading of it, plus the
# emulator's own upload limit (413).
HTTP_STATUS_NAMES: dict[int, str] = {**STATUS_BY_HTTP, 413: "INVALID_ARGUMENT"}


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
        self.http_status = http_status or STATUS_BY_NAME[status].http_status
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
