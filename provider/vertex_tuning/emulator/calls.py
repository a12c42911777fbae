"""One API request as the route handlers see it, the route table's entries, and the answers they give.

A handler is `handler(services, call)`: plain functions run in a worker thread (SQLite and file
reads never block the event loop), `async` ones (streamed uploads) on the loop. It returns a
body (a dict, answered as JSON) or a ready `Response`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic.alias_generators import to_snake
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from . import schema
from .protojson import enums_to_numbers, read_body
from .rpc import HTTP_STATUS_NAMES, ApiError, invalid

if TYPE_CHECKING:
    from .faults import Fault
    from .services import Services

# Query parameters every Google REST method takes (system parameters), in both spellings.
SYSTEM_PARAMS = {
    "alt", "$alt", "fields", "$fields", "prettyPrint", "$prettyPrint", "key", "$key", "quotaUser",
    "$quotaUser", "$.xgafv", "$xgafv", "access_token", "oauth_token", "callback", "upload_protocol",
    "uploadType", "userIp",
}  # fmt: skip
LOCATION = (
    r"/(?P<version>v1|v1beta1)/projects/(?P<project>[a-z0-9][a-z0-9.:-]{0,62})"
    r"/locations/(?P<location>[a-z0-9-]{1,40})"
)


@dataclass(frozen=True)
class ListRequest:
    """AIP-132's list parameters: filter, page size and page token."""

    filter: str
    page_size: int
    page_token: str


@dataclass
class Call:
    """One API request, parsed: its route name, path parameters and query."""

    request: Request
    route: str
    params: dict[str, str]
    body: bytes = b""
    faults: list[Fault] = field(default_factory=list)

    @property
    def query(self) -> Any:
        return self.request.query_params

    @property
    def version(self) -> str:
        return self.params.get("version", "v1")

    @property
    def project(self) -> str:
        return self.params["project"]

    @property
    def location(self) -> str:
        return self.params["location"]

    @property
    def enums_as_numbers(self) -> bool:
        return "enum-encoding=int" in self.query.get("$alt", "")

    def query_int(self, name: str) -> int:
        value = self.query.get(name, "0") or "0"
        try:
            return int(value)
        except ValueError:
            raise invalid(f"Invalid value at '{to_snake(name)}' (TYPE_INT32), \"{value}\"") from None

    def list_request(self) -> ListRequest:
        return ListRequest(
            self.query.get("filter", ""), self.query_int("pageSize"), self.query.get("pageToken", "")
        )

    def read(self, root: str) -> dict[str, Any]:
        """The body, read against this method's request message on this version."""
        message = schema.request_schema(self.version, self.route)
        assert message is not None, f"{self.route} takes no body"
        return read_body(self.body, self.version, message, root)


Answer = dict[str, Any] | list[Any] | Response
Handler = Callable[["Services", Call], Answer | Awaitable[Answer]]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler
    # Query parameters beyond the system ones; None: what the discovery document declares.
    query: frozenset[str] | None = None
    # The handler reads the body itself (streamed uploads); otherwise it arrives in `call.body`.
    streams_body: bool = False
    # An `/_emulator/` route: not counted, never faulted, any query, a small body.
    admin: bool = False

    def allowed_query(self, version: str) -> frozenset[str]:
        if self.query is not None:
            return self.query
        return schema.method_query(version, self.name)


def route(
    method: str,
    pattern: str,
    name: str,
    handler: Handler,
    *,
    query: tuple[str, ...] | None = None,
    streams_body: bool = False,
    admin: bool = False,
) -> ApiRoute:
    allowed = frozenset(query) if query is not None else None
    return ApiRoute(method, re.compile(pattern), name, handler, allowed, streams_body, admin)


def check_query(call: Call, allowed: frozenset[str]) -> None:
    for name in call.query:
        if name not in SYSTEM_PARAMS and name not in allowed:
            raise invalid(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter.'
            )


# --- answers -------------------------------------------------------------------------------


def json_answer(call: Call, body: Any) -> Response:
    if call.enums_as_numbers:
        body = enums_to_numbers(body)
    pretty = call.query.get("prettyPrint", call.query.get("$prettyPrint", "false")).lower() in ("true", "1")
    text = json.dumps(body, indent=2 if pretty else None, separators=None if pretty else (",", ":"))
    return Response(text, media_type="application/json; charset=UTF-8")


def plain_json(body: Any) -> Response:
    return Response(json.dumps(body), media_type="application/json")


def fault_response(fault: Fault) -> Response:
    """The error an injected status fault answers with, Retry-After included when it has one."""
    status = HTTP_STATUS_NAMES.get(fault.status, "UNAVAILABLE")
    message = fault.message or f"Injected fault: {status} (emulator)."
    response = error_response(ApiError(status, message, http_status=fault.status))
    if fault.retry_after is not None:
        response.headers["Retry-After"] = f"{fault.retry_after:g}"
    return response


def error_response(error: ApiError) -> Response:
    return Response(
        json.dumps(error.envelope()),
        status_code=error.http_status,
        media_type="application/json; charset=UTF-8",
    )


class DroppedResponse(Response):
    """A response cut off mid-body: the server closes the connection, the client sees a broken read."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1024")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"name": "', "more_body": True})
        # Returning now, with the response incomplete, makes uvicorn close the connection.
