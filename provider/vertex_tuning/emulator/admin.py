"""A small typed client for the emulator's admin routes under `/_emulator/` (tests and the CLI)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

import httpx

from ..wire import JobState
from .faults import Fault, FaultKind

if TYPE_CHECKING:
    from typing_extensions import Unpack  # in `typing` from Python 3.11


class FaultDetails(TypedDict, total=False):
    """The `Fault` fields besides route and kind, so callers' keywords are type-checked."""

    status: int
    retry_after: float | None
    seconds: float
    times: int | None
    message: str | None


class EmulatorAdmin:
    """Inject faults, steer jobs and read request counts on a running emulator."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/") + "/_emulator", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EmulatorAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, path, json=body)
        response.raise_for_status()
        return response.json()

    # --- faults --------------------------------------------------------------------------------

    def add_fault(self, route: str, kind: FaultKind = "status", **details: Unpack[FaultDetails]) -> int:
        """Hit the next `times` requests to `route` (`*` for all; None times = every request);
        what `details` leave out takes `Fault`'s defaults."""
        fault = Fault(route=route, kind=kind, **details)
        return int(self._call("POST", "/faults", fault.model_dump())["id"])

    def fail_requests(self, route: str, status: int, *, times: int = 1, retry_after: float | None = 1) -> int:
        return self.add_fault(route, "status", status=status, times=times, retry_after=retry_after)

    def add_latency(self, route: str, seconds: float, *, times: int | None = None) -> int:
        return self.add_fault(route, "latency", seconds=seconds, times=times)

    def drop_next_create(self) -> int:
        """The next create commits its job, then the connection is cut before the answer arrives."""
        return self.add_fault("tuningJobs.create", "drop_after_commit")

    def commit_next_create_late(self, seconds: float, *, status: int = 504) -> int:
        """The next create is answered `status` at once and its job is committed `seconds` later."""
        return self.add_fault("tuningJobs.create", "commit_late", status=status, seconds=seconds)

    def garble_next_create(self, body: str) -> int:
        """The next create commits its job, then answers 200 with `body` instead of the job."""
        return self.add_fault("tuningJobs.create", "garble_after_commit", message=body)

    def faults(self) -> list[Fault]:
        return [Fault.model_validate(item) for item in self._call("GET", "/faults")["faults"]]

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # --- jobs ----------------------------------------------------------------------------------

    def stick_job(self, name: str, state: JobState | None) -> None:
        """Hold a job in PENDING or RUNNING until released with `state=None`."""
        self._call("POST", f"/jobs/{_job_id(name)}:stick", {"stuck": state.value if state else None})

    def fail_job(self, name: str, message: str) -> None:
        """Make a job FAIL with `message` when it would have succeeded."""
        self._call("POST", f"/jobs/{_job_id(name)}:fail", {"fail": message})

    def stick_next_job(self, state: JobState) -> None:
        self._call("POST", "/next-job", {"stuck": state.value})

    def fail_next_job(self, message: str) -> None:
        self._call("POST", "/next-job", {"fail": message})

    def ignore_cancel(self, name: str) -> None:
        """A cancel of this job comes too late: it shows CANCELLING, then ends as it would have."""
        self._call("POST", f"/jobs/{_job_id(name)}:ignore-cancel", {"ignoreCancel": True})

    def ignore_next_cancel(self) -> None:
        """The next created job carries on through a cancel (ends SUCCEEDED, or FAILED if told to)."""
        self._call("POST", "/next-job", {"ignoreCancel": True})

    def set_job_seconds(self, seconds: float) -> None:
        """How long jobs created from now on take."""
        self._call("PUT", "/settings", {"jobSeconds": seconds})

    def set_max_concurrent_jobs(self, limit: int | None) -> None:
        """The project-wide quota of jobs tuning at once (None: no quota); set it before creating jobs."""
        self._call("PUT", "/settings", {"maxConcurrentJobs": limit})

    # --- counts --------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """{"requests": {route: count}, "jobs": total, "jobsByState": {state: count}}."""
        return dict(self._call("GET", "/stats"))

    def request_count(self, route: str) -> int:
        return int(self.stats()["requests"].get(route, 0))


def _job_id(name: str) -> str:
    """A job's id from its full name or the id itself."""
    return name.rstrip("/").rsplit("/", 1)[-1]
