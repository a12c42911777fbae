"""The `/_emulator/` routes tests and the CLI steer the emulator with (never under /v1)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from ..calls import plain_json
from ..faults import Fault
from ..jobs import STICKABLE
from ..protojson import load_object
from ..rpc import invalid, not_found
from ..services import Services

# Per-job controls: {"stuck": "JOB_STATE_RUNNING"}, {"fail": "message"}, {"ignoreCancel": true}.
_CONTROL_KEYS = {"stick": "stuck", "fail": "fail", "ignore-cancel": "ignoreCancel"}


def handle(services: Services, request: Request, raw: bytes) -> Response:
    path, method = request.url.path.removeprefix("/_emulator"), request.method
    body = load_object(raw)
    if (method, path) == ("GET", "/stats"):
        return plain_json(stats(services))
    if (method, path) == ("GET", "/faults"):
        return plain_json({"faults": [f.model_dump() for f in services.faults.active()]})
    if (method, path) == ("POST", "/faults"):
        return plain_json({"id": services.faults.add(_admin_model(Fault, body))})
    if (method, path) == ("DELETE", "/faults"):
        services.faults.clear()
        return plain_json({})
    if (method, path) == ("PUT", "/settings"):
        return plain_json(_settings(services, body))
    if (method, path) == ("POST", "/next-job"):
        services.jobs.next_job_controls.update(_controls(body))
        return plain_json({})
    found = re.fullmatch(r"/jobs/(?P<job>\d+):(?P<verb>stick|fail|ignore-cancel)", path)
    if method == "POST" and found:
        key = _CONTROL_KEYS[found["verb"]]
        if set(body) != {key}:
            raise invalid(f"{found['verb']} takes {{{key!r}: ...}}")
        services.jobs.set_control(found["job"], key, _controls(body, unset_ok=True)[key])
        return plain_json({})
    raise not_found(f"no admin route {method} {request.url.path}")


def stats(services: Services) -> dict[str, Any]:
    states = services.jobs.states()
    return {"requests": dict(services.requests), "jobs": sum(states.values()), "jobsByState": states}


def _settings(services: Services, body: dict[str, Any]) -> dict[str, Any]:
    unknown = set(body) - {"jobSeconds", "maxConcurrentJobs"}
    if unknown or not body:
        raise invalid("settings takes jobSeconds (a positive number) and/or maxConcurrentJobs (>= 1 or null)")
    if "jobSeconds" in body:
        seconds = body["jobSeconds"]
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0:
            raise invalid("jobSeconds must be a positive number")
        services.jobs.job_seconds = float(seconds)
    if "maxConcurrentJobs" in body:
        limit = body["maxConcurrentJobs"]
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            raise invalid("maxConcurrentJobs must be a whole number of at least 1, or null for no quota")
        services.jobs.max_concurrent_jobs = limit
    return {"jobSeconds": services.jobs.job_seconds, "maxConcurrentJobs": services.jobs.max_concurrent_jobs}


def _controls(body: dict[str, Any], *, unset_ok: bool = False) -> dict[str, Any]:
    """Controls for one job, or for the next created one; null clears (per job)."""
    unknown = set(body) - set(_CONTROL_KEYS.values())
    if unknown:
        raise invalid(f"unknown control {sorted(unknown)[0]!r}; use one of {sorted(_CONTROL_KEYS.values())}")
    stuck = body.get("stuck")
    if stuck is not None and stuck not in {state.value for state in STICKABLE}:
        raise invalid("stuck must be JOB_STATE_PENDING or JOB_STATE_RUNNING")
    fail = body.get("fail")
    if fail is not None and (not isinstance(fail, str) or not fail):
        raise invalid("fail must be a non-empty message")
    ignore = body.get("ignoreCancel")
    if ignore is not None and not isinstance(ignore, bool):
        raise invalid("ignoreCancel must be true or false")
    if unset_ok:
        return body
    return {key: value for key, value in body.items() if value is not None}


def _admin_model(model: type[BaseModel], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise invalid(str(error)) from None
