"""Faults on demand: error bursts, latency and dropped responses, for tests that need a bad day."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response

from .calls import DroppedResponse, fault_response

FaultKind = Literal["status", "latency", "drop_after_commit", "commit_late", "garble_after_commit"]
"""`commit_late`: a create is answered `status` at once (a 504 from a front end, say) and its job is
committed `seconds` later, after the client gave up looking for it. `garble_after_commit`: the job
is committed and the answer is a 200 whose body is `message` (HTML, `{}`, cut-off JSON, ...)."""
AFTER_COMMIT_KINDS = ("drop_after_commit", "commit_late", "garble_after_commit")
ANY_ROUTE = "*"
T = TypeVar("T")


class Fault(BaseModel):
    """One fault on one route (or `*`): `times` requests are hit, or every one when it is None."""

    model_config = ConfigDict(extra="forbid")

    route: str
    kind: FaultKind = "status"
    status: int = Field(default=503, ge=400, le=599)
    retry_after: float | None = Field(default=None, ge=0)
    seconds: float = Field(default=0.0, ge=0, le=60)
    times: int | None = Field(default=1, ge=1)
    message: str | None = None

    @model_validator(mode="after")
    def _drop_only_on_create(self) -> Fault:
        if self.kind in AFTER_COMMIT_KINDS and self.route != "tuningJobs.create":
            raise ValueError(f"{self.kind} applies to tuningJobs.create only")
        return self


class FaultBook:
    """The faults in force; each request takes the ones matching its route, using them up."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[int, Fault] = {}
        self._ids = itertools.count(1)

    def add(self, fault: Fault) -> int:
        with self._lock:
            fault_id = next(self._ids)
            self._faults[fault_id] = fault.model_copy()
            return fault_id

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._faults.values())

    def take(self, route: str) -> list[Fault]:
        """The faults hitting this request, each counted once against its `times`."""
        taken: list[Fault] = []
        with self._lock:
            for fault_id, fault in list(self._faults.items()):
                if fault.route not in (route, ANY_ROUTE):
                    continue
                taken.append(fault)
                if fault.times is not None:
                    if fault.times <= 1:
                        del self._faults[fault_id]
                    else:
                        self._faults[fault_id] = fault.model_copy(update={"times": fault.times - 1})
        return taken


def commit_under_faults(faults: list[Fault], commit: Callable[[], T]) -> T | Response:
    """Run a create's `commit` as the after-commit faults hitting it say; its result when none do."""
    late = next((fault for fault in faults if fault.kind == "commit_late"), None)
    if late is not None:  # answered with an error now, committed `seconds` later (a 504 that still commits)
        timer = threading.Timer(late.seconds, commit)
        timer.daemon = True
        timer.start()
        return fault_response(late)
    created = commit()
    if any(fault.kind == "drop_after_commit" for fault in faults):
        return DroppedResponse()
    garbled = next((fault for fault in faults if fault.kind == "garble_after_commit"), None)
    if garbled is not None:
        body = garbled.message or ""
        return Response(body, media_type="text/html" if body.startswith("<") else "application/json")
    return created


def parse_fault(spec: str) -> Fault:
    """The CLI form: `ROUTE:KIND[,key=value...]`.

    For example `tuningJobs.get:status=503,times=3,retry_after=1`, `*:latency=0.2,times=0`
    (0 means every request), `tuningJobs.create:drop_after_commit` or
    `tuningJobs.create:commit_late=10,status=504` (answer 504, commit the job 10 s later).
    """
    route, _, rest = spec.partition(":")
    if not route or not rest:
        raise ValueError(f"fault {spec!r} must look like ROUTE:KIND[,key=value...]")
    fields: dict[str, object] = {"route": route.strip()}
    for item in rest.split(","):
        key, has_value, value = (part.strip() for part in item.partition("="))
        if key in ("drop_after_commit", "garble_after_commit"):
            fields["kind"] = key
        elif key == "commit_late":
            fields.update(kind=key, seconds=float(value))
        elif key == "status":
            fields["status"] = int(value) if has_value else 503
            fields.setdefault("kind", "status")
        elif key == "latency":
            fields.update(kind="latency", seconds=float(value))
        elif key == "times":
            fields["times"] = int(value) or None
        elif key == "retry_after":
            fields["retry_after"] = float(value)
        elif key == "message":
            fields["message"] = value
        else:
            raise ValueError(f"fault {spec!r}: unknown setting {key!r}")
    if fields.get("kind") == "commit_late":
        fields.setdefault("status", 504)  # what Google's front end answers when the backend is slow
    return Fault.model_validate(fields)
