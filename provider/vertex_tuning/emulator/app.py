"""The emulator's HTTP face: Vertex AI's REST routes under /v1 and /v1beta1, and /_emulator/ for tests.

Dispatch only: find the route, count it, check its query, read its body, apply faults, and run
its handler off the event loop. The routes, admin ones included, live in `routes/` (one file per
family), each handler one call into a service (`job_answers` over `jobs`, `endpoints` over
`tuned_models`, `metrics`, `control`, `gcs`); bodies are read in `protojson`/`schema`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import Counter

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .calls import ApiRoute, Call, check_query, error_response, fault_response, json_answer, plain_json
from .faults import FaultBook
from .jobs import JobService
from .routes import ROUTES
from .rpc import ApiError, not_found
from .services import Services
from .tuned_models import TunedModels

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
ADMIN_MAX_BODY_BYTES = 64 * 1024
_ADMIN_PREFIX = "/_emulator/"
log = logging.getLogger(__name__)


class Emulator:
    """The ASGI application with its services: jobs, tuned models, faults and request counts."""

    def __init__(self, jobs: JobService, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.services = Services(jobs=jobs, models=TunedModels(jobs))
        self.max_body_bytes = max_body_bytes
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
        self.app = Starlette(routes=[Route("/{path:path}", self.dispatch, methods=methods)])

    @property
    def jobs(self) -> JobService:
        return self.services.jobs

    @property
    def faults(self) -> FaultBook:
        return self.services.faults

    @property
    def requests(self) -> Counter[str]:
        """Requests served, by route name (tests may swap in their own counter)."""
        return self.services.requests

    @requests.setter
    def requests(self, counter: Counter[str]) -> None:
        self.services.requests = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        route: ApiRoute | None = None
        try:
            route, params = match(request.method, request.url.path)
            if route.admin:
                return await self._admin(route, Call(request, route.name, params))
            return await self._api(route, Call(request, route.name, params))
        except ApiError as error:
            return error_response(error)
        except Exception as error:
            # The client only learns the exception's type; the log has what went wrong, and where.
            log.exception(
                "emulator: %s %s (route %s) failed",
                request.method,
                request.url,
                route.name if route is not None else "none",
            )
            return error_response(ApiError("INTERNAL", f"Internal error: {type(error).__name__}"))

    async def _admin(self, route: ApiRoute, call: Call) -> Response:
        call.body = await read_body(call.request, ADMIN_MAX_BODY_BYTES)
        return plain_json(await run_in_threadpool(route.handler, self.services, call))

    async def _api(self, route: ApiRoute, call: Call) -> Response:
        self.services.requests[route.name] += 1
        check_query(call, route.allowed_query(call.version))
        if not route.streams_body:
            call.body = await read_body(call.request, self.max_body_bytes)
        call.faults = self.services.faults.take(route.name)
        for fault in call.faults:
            if fault.kind == "latency":
                await asyncio.sleep(fault.seconds)
        for fault in call.faults:
            if fault.kind == "status":
                return fault_response(fault)
        if inspect.iscoroutinefunction(route.handler):
            answer = await route.handler(self.services, call)
        else:
            # SQLite, dataset checks and file reads run in a worker thread: the loop keeps serving.
            answer = await run_in_threadpool(route.handler, self.services, call)
        return answer if isinstance(answer, Response) else json_answer(call, answer)


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    too_big = declared.isdigit() and int(declared) > limit
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        too_big = too_big or size > limit
        if not too_big:
            chunks.append(chunk)
    if too_big:
        raise ApiError(
            "INVALID_ARGUMENT", f"Request payload size exceeds the limit: {limit} bytes.", http_status=413
        )
    return b"".join(chunks)


def match(method: str, path: str) -> tuple[ApiRoute, dict[str, str]]:
    """The route for a request and its path parameters; Google's 404 when there is none."""
    known_path = False
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if found is None:
            continue
        if route.method == method:
            return route, {key: value for key, value in found.groupdict().items() if value is not None}
        known_path = True
    if path.startswith(_ADMIN_PREFIX):
        raise not_found(f"no admin route {method} {path}")
    if known_path:  # Google answers a wrong verb on a known path with 404 as well.
        raise not_found(f"Method {method} is not found on {path}.")
    raise not_found(f"The requested URL {path} was not found on this server.")
