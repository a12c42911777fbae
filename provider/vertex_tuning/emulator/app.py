"""The emulator's HTTP face: Vertex AI's REST routes under /v1 and /v1beta1, and /_emulator/ for tests.

Routing and answering only: bodies are read and written in `protojson`, what a job does lives in
`jobs`, what a tuned model says in `tuned_model`, metrics in `metrics`, faults in `faults`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_snake
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ..wire import GenerateContentRequest, TuningJob
from . import gcs, metrics, tuned_model
from .faults import Fault, FaultBook
from .jobs import STICKABLE, JobService
from .protojson import enums_to_numbers, load_object, parse_empty, parse_message
from .rpc import HTTP_STATUS_NAMES, ApiError, invalid, not_found

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024

# Query parameters every Google REST method takes (system parameters), in both spellings.
_SYSTEM_PARAMS = {
    "alt", "$alt", "fields", "$fields", "prettyPrint", "$prettyPrint", "key", "$key", "quotaUser",
    "$quotaUser", "$.xgafv", "$xgafv", "access_token", "oauth_token", "callback", "upload_protocol",
    "uploadType", "userIp",
}  # fmt: skip
_LOCATION = (
    r"/(?P<version>v1|v1beta1)/projects/(?P<project>[a-z0-9][a-z0-9.:-]{0,62})"
    r"/locations/(?P<location>[a-z0-9-]{1,40})"
)
_TENSORBOARD_RUNS = (
    _LOCATION + r"/tensorboards/(?P<tensorboard>\d+)/experiments/(?P<experiment>[a-z0-9-]+)/runs"
)


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
    def enums_as_numbers(self) -> bool:
        return "enum-encoding=int" in self.query.get("$alt", "")

    def query_int(self, name: str) -> int:
        value = self.query.get(name, "0") or "0"
        try:
            return int(value)
        except ValueError:
            raise invalid(f"Invalid value at '{to_snake(name)}' (TYPE_INT32), \"{value}\"") from None


Handler = Callable[["Emulator", Call], Awaitable[Response]]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler
    query: frozenset[str] = frozenset()


class Emulator:
    """The ASGI application with its state: jobs, faults and request counts."""

    def __init__(self, jobs: JobService, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.jobs = jobs
        self.faults = FaultBook()
        self.requests: Counter[str] = Counter()
        self.max_body_bytes = max_body_bytes
        self._late_commits: set[asyncio.Task[None]] = set()
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
        self.app = Starlette(routes=[Route("/{path:path}", self.dispatch, methods=methods)])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def dispatch(self, request: Request) -> Response:
        try:
            if request.url.path.startswith("/_emulator/"):
                return await self._admin(request)
            return await self._api(request)
        except ApiError as error:
            return _error_response(error)
        except Exception as error:
            return _error_response(ApiError("INTERNAL", f"Internal error: {type(error).__name__}"))

    async def _api(self, request: Request) -> Response:
        route, params = _match(request.method, request.url.path)
        call = Call(request, route.name, params)
        self.requests[route.name] += 1
        _check_query(call, route.query)
        call.body = await self._read_body(request)
        call.faults = self.faults.take(route.name)
        for fault in call.faults:
            if fault.kind == "latency":
                await asyncio.sleep(fault.seconds)
        for fault in call.faults:
            if fault.kind == "status":
                return _fault_response(fault)
        return await route.handler(self, call)

    async def _read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        too_big = declared.isdigit() and int(declared) > self.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            too_big = too_big or size > self.max_body_bytes
            if not too_big:
                chunks.append(chunk)
        if too_big:
            raise ApiError(
                "INVALID_ARGUMENT",
                f"Request payload size exceeds the limit: {self.max_body_bytes} bytes.",
                http_status=413,
            )
        return b"".join(chunks)

    # --- tuning jobs -------------------------------------------------------------------------

    async def create_job(self, call: Call) -> Response:
        job = parse_message(TuningJob, call.body, "tuning_job")
        late = next((fault for fault in call.faults if fault.kind == "commit_late"), None)
        if late is not None:
            self._commit_later(late.seconds, call.params["project"], call.params["location"], job)
            return _fault_response(late)
        created = self.jobs.create(call.params["project"], call.params["location"], job)
        if any(fault.kind == "drop_after_commit" for fault in call.faults):
            return DroppedResponse()
        garbled = next((fault for fault in call.faults if fault.kind == "garble_after_commit"), None)
        if garbled is not None:
            body = garbled.message or ""
            return Response(body, media_type="text/html" if body.startswith("<") else "application/json")
        return _json(call, created.to_json_dict())

    def _commit_later(self, seconds: float, project: str, location: str, job: TuningJob) -> None:
        async def commit() -> None:
            await asyncio.sleep(seconds)
            self.jobs.create(project, location, job)

        task = asyncio.get_running_loop().create_task(commit())
        self._late_commits.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._late_commits.discard)

    async def get_job(self, call: Call) -> Response:
        job = self.jobs.get(call.params["project"], call.params["location"], call.params["job"])
        return _json(call, job.to_json_dict())

    async def list_jobs(self, call: Call) -> Response:
        page = self.jobs.list_jobs(
            call.params["project"],
            call.params["location"],
            filter=call.query.get("filter", ""),
            page_size=call.query_int("pageSize"),
            page_token=call.query.get("pageToken", ""),
        )
        return _json(call, page.to_json_dict())

    async def cancel_job(self, call: Call) -> Response:
        parse_empty(call.body)
        self.jobs.cancel(call.params["project"], call.params["location"], call.params["job"])
        return _json(call, {})

    # --- tuned endpoints -----------------------------------------------------------------------

    async def generate(self, call: Call) -> Response:
        request, row, outcome = self._generation(call)
        return _json(call, tuned_model.answer(request, row, outcome, self.jobs.clock()).to_json_dict())

    async def stream(self, call: Call) -> Response:
        request, row, outcome = self._generation(call)
        chunks = [c.to_json_dict() for c in tuned_model.stream(request, row, outcome, self.jobs.clock())]
        if call.query.get("alt") == "sse":
            return StreamingResponse(_sse(call, chunks), media_type="text/event-stream")
        return _json(call, chunks)

    def _generation(self, call: Call) -> tuple[GenerateContentRequest, Any, dict[str, Any]]:
        request = parse_message(GenerateContentRequest, call.body, "")
        row, outcome = self.jobs.serving_job(
            call.params["project"], call.params["location"], call.params["endpoint"]
        )
        tuned_model.check_request(request)
        return request, row, outcome

    # --- metrics -----------------------------------------------------------------------------

    async def get_context(self, call: Call) -> Response:
        row = self.jobs.job_by_experiment(
            call.params["project"], call.params["location"], call.params["context"]
        )
        return _json(call, metrics.context(row, self.jobs.phase(row)))

    async def list_runs(self, call: Call) -> Response:
        row = self._experiment_job(call)
        return _json(call, metrics.runs(row, self.jobs.phase(row)))

    async def list_time_series(self, call: Call) -> Response:
        row = self._experiment_job(call)
        metrics.check_run(row, call.params["run"])
        return _json(call, metrics.time_series_list(row, self.jobs.phase(row), self.jobs.outcome(row)))

    async def read_time_series(self, call: Call) -> Response:
        row = self._experiment_job(call)
        metrics.check_run(row, call.params["run"])
        data = metrics.read(
            row, self.jobs.phase(row), self.jobs.outcome(row), call.params["series"], self.jobs.clock()
        )
        return _json(call, data)

    def _experiment_job(self, call: Call) -> Any:
        row = self.jobs.job_by_experiment(
            call.params["project"], call.params["location"], call.params["experiment"]
        )
        metrics.check_tensorboard(row, call.params["tensorboard"])
        return row

    # --- admin (/_emulator/) -----------------------------------------------------------------

    async def _admin(self, request: Request) -> Response:
        path, method = request.url.path.removeprefix("/_emulator"), request.method
        body = load_object(await request.body())
        if (method, path) == ("GET", "/stats"):
            return _plain_json(self.stats())
        if (method, path) == ("GET", "/faults"):
            return _plain_json({"faults": [f.model_dump() for f in self.faults.active()]})
        if (method, path) == ("POST", "/faults"):
            return _plain_json({"id": self.faults.add(_admin_model(Fault, body))})
        if (method, path) == ("DELETE", "/faults"):
            self.faults.clear()
            return _plain_json({})
        if (method, path) == ("PUT", "/settings"):
            return _plain_json(self._settings(body))
        if (method, path) == ("POST", "/next-job"):
            self.jobs.next_job_controls.update(_controls(body))
            return _plain_json({})
        match = re.fullmatch(r"/jobs/(?P<job>\d+):(?P<verb>stick|fail)", path)
        if method == "POST" and match:
            key = {"stick": "stuck", "fail": "fail"}[match["verb"]]
            if set(body) != {key}:
                raise invalid(f"{match['verb']} takes {{{key!r}: ...}}")
            self.jobs.set_control(match["job"], key, _controls(body, unset_ok=True)[key])
            return _plain_json({})
        raise not_found(f"no admin route {method} {request.url.path}")

    def stats(self) -> dict[str, Any]:
        states = self.jobs.states()
        return {"requests": dict(self.requests), "jobs": sum(states.values()), "jobsByState": states}

    def _settings(self, body: dict[str, Any]) -> dict[str, Any]:
        seconds = body.get("jobSeconds")
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0:
            raise invalid("jobSeconds must be a positive number")
        self.jobs.job_seconds = float(seconds)
        return {"jobSeconds": self.jobs.job_seconds}


def _controls(body: dict[str, Any], *, unset_ok: bool = False) -> dict[str, Any]:
    """`{"stuck": "JOB_STATE_RUNNING"}` and/or `{"fail": "message"}`; null clears (per job)."""
    unknown = set(body) - {"stuck", "fail"}
    if unknown:
        raise invalid(f"unknown control {sorted(unknown)[0]!r}; use 'stuck' or 'fail'")
    stuck = body.get("stuck")
    if stuck is not None and stuck not in {state.value for state in STICKABLE}:
        raise invalid("stuck must be JOB_STATE_PENDING or JOB_STATE_RUNNING")
    fail = body.get("fail")
    if fail is not None and (not isinstance(fail, str) or not fail):
        raise invalid("fail must be a non-empty message")
    if unset_ok:
        return body
    return {key: value for key, value in body.items() if value is not None}


def _admin_model(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise invalid(str(error)) from None


class DroppedResponse(Response):
    """A response cut off mid-body: the server closes the connection, the client sees a broken read."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1024")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"name": "', "more_body": True})
        # Returning now, with the response incomplete, makes uvicorn close the connection.


# --- routing -------------------------------------------------------------------------------


def _route(method: str, pattern: str, name: str, handler: Handler, *query: str) -> ApiRoute:
    return ApiRoute(method, re.compile(pattern), name, handler, frozenset(query))


_JOBS = _LOCATION + r"/tuningJobs"
ROUTES: list[ApiRoute] = [
    _route("POST", _JOBS, "tuningJobs.create", Emulator.create_job),
    _route(
        "GET", _JOBS, "tuningJobs.list", Emulator.list_jobs, "filter", "pageSize", "pageToken", "readMask"
    ),
    _route("GET", _JOBS + r"/(?P<job>[^/:]+)", "tuningJobs.get", Emulator.get_job),
    _route("POST", _JOBS + r"/(?P<job>[^/:]+):cancel", "tuningJobs.cancel", Emulator.cancel_job),
    _route(
        "POST",
        _LOCATION + r"/endpoints/(?P<endpoint>[^/:]+):generateContent",
        "endpoints.generateContent",
        Emulator.generate,
    ),
    _route(
        "POST",
        _LOCATION + r"/endpoints/(?P<endpoint>[^/:]+):streamGenerateContent",
        "endpoints.streamGenerateContent",
        Emulator.stream,
    ),
    _route(
        "GET",
        _LOCATION + r"/metadataStores/default/contexts/(?P<context>[^/:]+)",
        "metadataStores.contexts.get",
        Emulator.get_context,
    ),
    _route(
        "GET",
        _TENSORBOARD_RUNS,
        "tensorboards.experiments.runs.list",
        Emulator.list_runs,
        "pageSize",
        "pageToken",
        "filter",
        "orderBy",
        "readMask",
    ),
    _route(
        "GET",
        _TENSORBOARD_RUNS + r"/(?P<run>[a-z0-9-]+)/timeSeries",
        "tensorboards.experiments.runs.timeSeries.list",
        Emulator.list_time_series,
        "pageSize",
        "pageToken",
        "filter",
        "orderBy",
        "readMask",
    ),
    _route(
        "GET",
        _TENSORBOARD_RUNS + r"/(?P<run>[a-z0-9-]+)/timeSeries/(?P<series>[a-z0-9-]+):read",
        "tensorboards.experiments.runs.timeSeries.read",
        Emulator.read_time_series,
        "maxDataPoints",
        "filter",
    ),
]
ROUTES += [_route(*spec) for spec in gcs.ROUTE_SPECS]  # Cloud Storage, for GitOps staging
ROUTE_NAMES = [route.name for route in ROUTES]


def _match(method: str, path: str) -> tuple[ApiRoute, dict[str, str]]:
    known_path = False
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if found is None:
            continue
        if route.method == method:
            return route, {key: value for key, value in found.groupdict().items() if value is not None}
        known_path = True
    if known_path:  # Google answers a wrong verb on a known path with 404 as well.
        raise not_found(f"Method {method} is not found on {path}.")
    raise not_found(f"The requested URL {path} was not found on this server.")


def _check_query(call: Call, allowed: frozenset[str]) -> None:
    for name in call.query:
        if name not in _SYSTEM_PARAMS and name not in allowed:
            raise invalid(
                f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter.'
            )


# --- answers -------------------------------------------------------------------------------


def _json(call: Call, body: Any) -> Response:
    if call.enums_as_numbers:
        body = enums_to_numbers(body)
    pretty = call.query.get("prettyPrint", call.query.get("$prettyPrint", "false")).lower() in ("true", "1")
    text = json.dumps(body, indent=2 if pretty else None, separators=None if pretty else (",", ":"))
    return Response(text, media_type="application/json; charset=UTF-8")


def _plain_json(body: Any) -> Response:
    return Response(json.dumps(body), media_type="application/json")


async def _sse(call: Call, chunks: list[dict[str, Any]]) -> Any:
    for chunk in chunks:
        body = enums_to_numbers(chunk) if call.enums_as_numbers else chunk
        yield f"data: {json.dumps(body, separators=(',', ':'))}\r\n\r\n".encode()


def _error_response(error: ApiError) -> Response:
    return Response(
        json.dumps(error.envelope()),
        status_code=error.http_status,
        media_type="application/json; charset=UTF-8",
    )


def _fault_response(fault: Fault) -> Response:
    status = HTTP_STATUS_NAMES.get(fault.status, "UNAVAILABLE")
    message = fault.message or f"Injected fault: {status} (emulator)."
    response = _error_response(ApiError(status, message, http_status=fault.status))
    if fault.retry_after is not None:
        response.headers["Retry-After"] = f"{fault.retry_after:g}"
    return response
