"""A deployment as the Pulumi engine drives it: the real provider host against the emulator.

`Deployment` plays the engine for TuningJobs: `pulumi up` (Check, Create; Diff, Update or a
replacement on later runs), `refresh` (Read) and `destroy` (Delete), through a stock provider host
(`support.provider_host`, the low-level driver), with the identity inputs the `TuningJob` class
adds (`tuning_inputs`). A new `Deployment` is a new host process, as every `pulumi up` is; several
may share one emulator. Scenario tests end with `ledger.settle(...)` (`support.ledger`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.emulator import PROJECT, InProcessEmulator, RunningEmulator, sample_dataset
from support.provider_host import HostCallError, HostDiff, ProviderHost
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

    @property
    def done(self) -> bool:
        """Whether the call has returned or raised."""
        return not self.thread.is_alive()

    def join(self, timeout: float = 60.0) -> Any:
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise TimeoutError(f"the call did not return within {timeout}s")
        if self.error:
            raise self.error[0]
        return self.result[0]


class Deployment:
    """One `pulumi up` worth of provider host, talking to one emulator (or, with `None`, to none)."""

    def __init__(
        self,
        emulator: RunningEmulator | None,
        *,
        config: Mapping[str, str] | None = None,
        env: Mapping[str, str] | None = None,
        emulator_host: bool = True,
        cwd: Path | None = None,
    ) -> None:
        """`emulator_host=False`: the host is not told of the emulator, so it talks to Google's
        hosts (tests that do so intercept every request in the host, see `host_shim`). `cwd`: the
        project directory, where local dataset paths are read from."""
        self.emulator = emulator
        told = emulator.env if emulator is not None and emulator_host else {}
        self.host = ProviderHost(TuningJobProvider(), env={**told, **(env or {})}, cwd=cwd).start()
        self.host.configure(dict(config or {}))

    def close(self) -> None:
        self.interrupt()

    def interrupt(self, grace: float = 5.0) -> None:
        """Ctrl-C in `pulumi up`: the engine's SIGINT, then SIGKILL after `grace` seconds."""
        self.host.stop(grace)

    def kill(self) -> None:
        """SIGKILL the host, as an interrupted `pulumi up` leaves it: waits end, jobs keep running."""
        self.host.kill()

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stderr_lines(self) -> list[str]:
        """What `pulumi up` showed of the provider: its progress lines and warnings."""
        return self.host.stderr_lines

    def stderr_text(self) -> str:
        return self.host.stderr_text()

    # -- the engine's calls, one per step of a `pulumi up`, `refresh` or `destroy` ---------------

    def check_failures(
        self, inputs: Mapping[str, Any], *, olds: Mapping[str, Any] | None = None, name: str = "res"
    ) -> list[tuple[str, str]]:
        """Check that may fail: [(input, reason), ...], as `pulumi preview` lists them."""
        return self.host.check(olds or {}, inputs, name=name)[1]

    def check(
        self, inputs: Mapping[str, Any], *, olds: Mapping[str, Any] | None = None, name: str = "res"
    ) -> dict[str, Any]:
        """Check that must pass; `olds`: the inputs of the resource's last deployment."""
        checked, failures = self.host.check(olds or {}, inputs, name=name)
        assert not failures, failures
        return checked

    def create(
        self, checked: Mapping[str, Any], *, name: str = "res", timeout: float | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Create from checked inputs (`timeout`: the host's own unless given). Returns (id, outputs)."""
        return self.host.create(checked, name=name, timeout=timeout)

    def up(
        self, inputs: Mapping[str, Any], *, name: str = "res", timeout: float = 120.0
    ) -> tuple[str, dict[str, Any]]:
        """Check, then Create: a new resource in `pulumi up`. Returns (id, outputs)."""
        return self.create(self.check(inputs, name=name), name=name, timeout=timeout)

    def diff(self, id_: str, outputs: Mapping[str, Any], checked: Mapping[str, Any]) -> HostDiff:
        """The engine's Diff: the last deployment's outputs against this run's checked inputs."""
        return self.host.diff(id_, outputs, checked)

    def replace(
        self, old_id: str, old_inputs: Mapping[str, Any], old_outs: Mapping[str, Any], news: Mapping[str, Any]
    ) -> tuple[HostDiff, str, dict[str, Any]]:
        """The engine's replacement: Check against the old inputs, Diff, Create the new one, Delete
        the old. Returns (the diff, new id, new outputs)."""
        checked = self.check(news, olds=old_inputs)
        diff = self.diff(old_id, old_outs, checked)
        new_id, new_outs = self.create(checked)
        self.delete(old_id, old_outs)
        return diff, new_id, new_outs

    def update(self, id_: str, outputs: Mapping[str, Any], checked: Mapping[str, Any]) -> dict[str, Any]:
        return self.host.update(id_, outputs, checked)

    def read(
        self, id_: str, outputs: Mapping[str, Any], inputs: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Refresh passes the old outputs and inputs; a get (`ResourceOptions(id=...)`) `outputs={}`.

        Returns (id, outputs, inputs or None); id "" means the job is gone."""
        return self.host.read(id_, outputs, inputs)

    def delete(self, id_: str, outputs: Mapping[str, Any], *, timeout: float | None = None) -> None:
        self.host.delete(id_, outputs, timeout=timeout)

    # -- calls that fail or wait ------------------------------------------------------------------

    def create_in_background(self, checked: Mapping[str, Any], *, name: str = "res") -> BackgroundCall:
        return _background(lambda: self.host.create(checked, name=name))

    def up_in_background(self, inputs: Mapping[str, Any], *, name: str = "res") -> BackgroundCall:
        return self.create_in_background(self.check(inputs, name=name), name=name)

    def failed_create(self, checked: Mapping[str, Any]) -> str:
        """A create that must fail; returns what `pulumi up` would show."""
        try:
            self.create(checked)
        except HostCallError as error:
            return error.details
        raise AssertionError("the create succeeded but was expected to fail")

    def failed_up(self, inputs: Mapping[str, Any]) -> str:
        """Check, then a create that must fail; returns what `pulumi up` would show."""
        return self.failed_create(self.check(inputs))

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
