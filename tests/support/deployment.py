"""A deployment as the Pulumi engine drives it: the real provider host against the emulator.

`Deployment` plays `pulumi up` for one TuningJob: Check then Create through a stock provider host
(`support.provider_host`), with the identity inputs the `TuningJob` class adds. A new `Deployment`
is a new host process, as every `pulumi up` is; several may share one emulator.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from support.emulator import PROJECT, InProcessEmulator, RunningEmulator, sample_dataset
from support.provider_host import HostCallError, ProviderHost
from vertex_tuning.emulator.lifecycle import PENDING_SHARE
from vertex_tuning.emulator.resources import project_number
from vertex_tuning.provider import TuningJobProvider

TRAINING_URI = "gs://reliability/train.jsonl"
ACTIVE_STATES = ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_CANCELLING")
BAD_DATASET = '{"contents": [{"role": "model", "parts": [{"text": "answer before any question"}]}]}\n'


def tuning_inputs(
    resource_name: str = "support-bot",
    *,
    stack: str = "dev",
    organization: str | None = "organization",
    **overrides: Any,
) -> dict[str, Any]:
    """The inputs `TuningJob(resource_name, ...)` sends in stack `organization/reliability/stack`
    (identity inputs included). `organization=None`: what the first release sent, which had none."""
    inputs: dict[str, Any] = {
        "project": PROJECT,
        "location": "us-central1",
        "base_model": "gemini-3.1-flash-lite",
        "training_dataset_uri": TRAINING_URI,
        "pulumi_organization": organization,
        "pulumi_stack": stack,
        "pulumi_project": "reliability",
        "resource_name": resource_name,
    }
    return {key: value for key, value in {**inputs, **overrides}.items() if value is not None}


def put_dataset(emulator: RunningEmulator, uri: str = TRAINING_URI, text: str | None = None) -> str:
    emulator.write_object(uri, sample_dataset(12) if text is None else text)
    return uri


@dataclass
class BackgroundCall:
    """An engine call running on its own thread (a create that waits), to be interrupted."""

    thread: threading.Thread
    result: list[Any] = field(default_factory=list)
    error: list[BaseException] = field(default_factory=list)

    def join(self, timeout: float = 60.0) -> Any:
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise TimeoutError(f"the call did not return within {timeout}s")
        if self.error:
            raise self.error[0]
        return self.result[0]


class Deployment:
    """One `pulumi up` worth of provider host, talking to one emulator."""

    def __init__(
        self,
        emulator: RunningEmulator,
        *,
        config: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        emulator_host: bool = True,
    ) -> None:
        """`emulator_host=False`: the host is not told of the emulator, so it talks to Google's
        hosts (tests that do so intercept every request in the host, see `host_shim`)."""
        self.emulator = emulator
        host_env = {**(emulator.env if emulator_host else {}), **(env or {})}
        self.host = ProviderHost(TuningJobProvider(), env=host_env).start()
        self.host.configure(dict(config or {}))

    def close(self) -> None:
        self.host.stop()

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        checked, failures = self.host.check({}, inputs)
        assert not failures, failures
        return checked

    def up(self, inputs: Mapping[str, Any], *, timeout: float = 120.0) -> tuple[str, dict[str, Any]]:
        """Check, then Create: a new resource in `pulumi up`. Returns (id, outputs)."""
        return self.host.create(self.check(inputs), timeout=timeout)

    def up_in_background(self, inputs: Mapping[str, Any]) -> BackgroundCall:
        checked = self.check(inputs)
        return _background(lambda: self.host.create(checked))

    def failed_up(self, inputs: Mapping[str, Any]) -> str:
        """A create that must fail; returns what `pulumi up` would show."""
        try:
            self.up(inputs)
        except HostCallError as error:
            return error.details
        raise AssertionError("the create succeeded but was expected to fail")

    def wait_for_line(self, text: str, timeout: float = 30.0) -> str:
        return self.host.wait_for_stderr(lambda line: text in line, timeout)


def _background(call: Callable[[], Any]) -> BackgroundCall:
    result: list[Any] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as raised:
            error.append(raised)

    running = BackgroundCall(threading.Thread(target=run, daemon=True, name="engine-call"), result, error)
    running.thread.start()
    return running


def jobs_in_states(emulator: RunningEmulator, *states: str) -> int:
    by_state: dict[str, int] = emulator.admin.stats()["jobsByState"]
    return sum(count for state, count in by_state.items() if state in states)


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        time.sleep(0.05)


@dataclass(frozen=True)
class Duplicate:
    """A job cancelled as a second job of its resource, as the emulator's store recorded it."""

    name: str
    lived: float
    """Seconds from its commit to its cancel."""
    ran: bool
    """Whether it reached RUNNING (billed training) before the cancel."""


def cancelled_jobs(emulator: InProcessEmulator) -> list[Duplicate]:
    """Every cancelled job of the test project, oldest first (in-process emulator only)."""
    service = emulator.server.emulator
    assert service is not None, "the emulator is not running"
    rows = service.jobs.store.jobs(project_number(PROJECT), "us-central1")
    return [
        Duplicate(
            row.name, row.cancelled - row.created, row.cancelled >= row.created + PENDING_SHARE * row.duration
        )
        for row in sorted(rows, key=lambda row: row.created)
        if row.cancelled is not None
    ]
