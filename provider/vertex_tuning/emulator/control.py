"""What the `/_emulator/` routes do: faults, per-job and next-job controls, settings and counts.

Tests and the CLI steer the emulator through these (never under /v1); bodies are checked here, so
a mistyped control is a 400 naming the keys that exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .faults import Fault
from .lifecycle import STICKABLE
from .protojson import load_object
from .rpc import invalid

if TYPE_CHECKING:
    from .services import Services

# Per-job controls by verb: {"stuck": "JOB_STATE_RUNNING"}, {"fail": "message"}, {"ignoreCancel": true}.
CONTROL_KEYS = {"stick": "stuck", "fail": "fail", "ignore-cancel": "ignoreCancel"}


class Control:
    """The admin service over the emulator's services (read at call time: tests swap the counter)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def stats(self) -> dict[str, Any]:
        states = self.services.jobs.states()
        return {"requests": dict(self.services.requests), "jobs": sum(states.values()), "jobsByState": states}

    def faults(self) -> dict[str, Any]:
        return {"faults": [fault.model_dump() for fault in self.services.faults.active()]}

    def add_fault(self, raw: bytes) -> dict[str, Any]:
        return {"id": self.services.faults.add(_admin_model(Fault, load_object(raw)))}

    def clear_faults(self) -> dict[str, Any]:
        self.services.faults.clear()
        return {}

    def settings(self, raw: bytes) -> dict[str, Any]:
        body, jobs = load_object(raw), self.services.jobs
        unknown = set(body) - {"jobSeconds", "maxConcurrentJobs"}
        if unknown or not body:
            raise invalid(
                "settings takes jobSeconds (a positive number) and/or maxConcurrentJobs (>= 1 or null)"
            )
        if "jobSeconds" in body:
            seconds = body["jobSeconds"]
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0:
                raise invalid("jobSeconds must be a positive number")
            jobs.job_seconds = float(seconds)
        if "maxConcurrentJobs" in body:
            limit = body["maxConcurrentJobs"]
            if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
                raise invalid("maxConcurrentJobs must be a whole number of at least 1, or null for no quota")
            jobs.max_concurrent_jobs = limit
        return {"jobSeconds": jobs.job_seconds, "maxConcurrentJobs": jobs.max_concurrent_jobs}

    def next_job(self, raw: bytes) -> dict[str, Any]:
        self.services.jobs.next_job_controls.update(_controls(load_object(raw)))
        return {}

    def control_job(self, job_id: str, verb: str, raw: bytes) -> dict[str, Any]:
        body, key = load_object(raw), CONTROL_KEYS[verb]
        if set(body) != {key}:
            raise invalid(f"{verb} takes {{{key!r}: ...}}")
        self.services.jobs.set_control(job_id, key, _controls(body, unset_ok=True)[key])
        return {}


def _controls(body: dict[str, Any], *, unset_ok: bool = False) -> dict[str, Any]:
    """Controls for one job, or for the next created one; null clears (per job)."""
    unknown = set(body) - set(CONTROL_KEYS.values())
    if unknown:
        raise invalid(f"unknown control {sorted(unknown)[0]!r}; use one of {sorted(CONTROL_KEYS.values())}")
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
