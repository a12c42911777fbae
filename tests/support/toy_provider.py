"""A tiny dynamic provider for testing the host driver and the worker-pool mechanism.

It lives in an importable module so dill pickles it by reference, like the real provider.
`create` sleeps `sleep_seconds` and reports how many creates were in flight in this host process
when it started and at most during its run, and `check` how many were running when it ran, so a
test can prove concurrency without timing.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

from pulumi import dynamic

from vertex_tuning.concurrency import max_concurrent_operations, widen_host_worker_pool

# Host-process state, deliberately module level: the pickled provider stays tiny and stateless.
_lock = threading.Lock()
_in_flight = 0
_peak = 0


def _enter() -> int:
    global _in_flight, _peak
    with _lock:
        _in_flight += 1
        _peak = max(_peak, _in_flight)
        return _in_flight


def _leave() -> int:
    global _in_flight
    with _lock:
        _in_flight -= 1
        return _peak


def _line(text: str) -> None:
    # One write per line (print writes the newline apart): lines from parallel creates stay whole.
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _break_grpc_layout() -> None:
    """Simulate a future grpc whose server internals moved: the class we look for is gone."""
    import grpc._server

    del grpc._server._ServerState  # the running server keeps its state object; only the name goes


class ToyProvider(dynamic.ResourceProvider):
    """`widen`: call widen_host_worker_pool in configure (the real provider does).
    `break_layout`: first make the host look like an unknown grpc version (fallback tests)."""

    def __init__(self, *, widen: bool = True, break_layout: bool = False) -> None:
        self.widen = widen
        self.break_layout = break_layout

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        # A slow configure lets a test queue calls behind it, as a real first call's setup can.
        time.sleep(float(req.config.get("toy:configureDelay") or 0))
        if self.break_layout:
            _break_grpc_layout()
        if self.widen:
            workers = max_concurrent_operations(req.config.get("vertex-tuning:maxConcurrentOperations"))
            widened = widen_host_worker_pool(workers)
            _line(f"toy: widened={widened}")

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        failures = []
        if not isinstance(news.get("sleep_seconds", 0), (int, float)):
            failures.append(dynamic.CheckFailure("sleep_seconds", "must be a number of seconds"))
        with _lock:
            in_flight = _in_flight
        return dynamic.CheckResult({**news, "creates_in_flight": in_flight}, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = sorted(key for key in news if key != "__provider" and olds.get(key) != news[key])
        return dynamic.DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        in_flight_at_start = _enter()
        _line(f"toy: creating {props.get('i', '')}")
        try:
            time.sleep(float(props.get("sleep_seconds", 0)))
            if props.get("fail_with"):
                raise RuntimeError(str(props["fail_with"]))
        finally:
            peak = _leave()
        outs = {**props, "in_flight_at_start": in_flight_at_start, "peak_in_flight": peak}
        return dynamic.CreateResult(id_=f"toy-{os.getpid()}-{time.monotonic_ns()}", outs=outs)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        return dynamic.ReadResult(id_, {**props, "read": True})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(outs={**news, "updated": True})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        _line(f"toy: deleted {_id}")
