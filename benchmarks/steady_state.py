"""Steady-state cost: check and diff per resource, and the host's cold start.

- check / diff in process: the provider's own methods, the work `pulumi preview` does per resource
  on every run (no network: both must stay in microseconds to a millisecond);
- check / diff through the host: the same calls as gRPC round trips to `python -m pulumi.dynamic`,
  including the SDK's serialization, as the engine sees them;
- cold start: importing the provider module in a fresh interpreter, and a fresh host process from
  spawn to its first answered Check (interpreter, Pulumi SDK, gRPC server, unpickling and
  configuring the provider); the bare interpreter start is shown for scale.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from typing import Any

from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider

import harness
from support.provider_host import ProviderHost
from workloads import Workload, workload

IN_PROCESS_CALLS = 2000
HOST_CALLS = 200
COLD_STARTS = 5


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def microseconds(seconds: float) -> float:
    return round(seconds * 1e6, 1)


def provider_module(provider: ResourceProvider) -> str:
    return type(provider).__module__


def in_process(load: Workload, outputs: dict[str, Any]) -> dict[str, float]:
    provider = load.provider
    provider.configure(ConfigureRequest(Config(dict(load.config), "bench")))
    news = load.inputs("steady")
    return {
        "check_us": microseconds(harness.median_seconds(lambda: provider.check({}, news), IN_PROCESS_CALLS)),
        "diff_us": microseconds(
            harness.median_seconds(lambda: provider.diff("steady", outputs, news), IN_PROCESS_CALLS)
        ),
    }


def through_host(host: ProviderHost, load: Workload, outputs: dict[str, Any]) -> dict[str, float]:
    news = load.inputs("steady")
    return {
        "check_us": microseconds(harness.median_seconds(lambda: host.check({}, news), HOST_CALLS)),
        "diff_us": microseconds(
            harness.median_seconds(lambda: host.diff("steady", outputs, news), HOST_CALLS)
        ),
    }


def fresh_interpreter(code: str, *, after: str = "pass") -> float:
    """Seconds a fresh interpreter reports for running `code` once `after` has run (printed by the child)."""
    timer = f"import time; {after}; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    env = {**os.environ, "PYTHONPATH": str(harness.REPO / "tests")}  # the toy provider's home
    child = subprocess.run([sys.executable, "-c", timer], capture_output=True, text=True, check=True, env=env)
    return float(child.stdout.strip().splitlines()[-1])


def wall_of_process(argv: list[str]) -> float:
    return harness.timed(lambda: subprocess.run(argv, check=True, capture_output=True))


def host_cold_start(load: Workload) -> float:
    started = time.perf_counter()
    with ProviderHost(load.provider, env=load.env) as host:
        host.configure(load.config)
        host.check({}, load.inputs("cold"))
        return time.perf_counter() - started


def cold_starts(load: Workload) -> dict[str, float]:
    module = provider_module(load.provider)
    return {
        "interpreter_s": statistics.median(
            wall_of_process([sys.executable, "-c", "pass"]) for _ in range(COLD_STARTS)
        ),
        "import_pulumi_s": statistics.median(
            fresh_interpreter("import pulumi.dynamic") for _ in range(COLD_STARTS)
        ),
        "import_provider_s": statistics.median(
            fresh_interpreter(f"import {module}") for _ in range(COLD_STARTS)
        ),
        "import_provider_after_pulumi_s": statistics.median(
            fresh_interpreter(f"import {module}", after="import pulumi.dynamic") for _ in range(COLD_STARTS)
        ),
        "host_to_first_check_s": statistics.median(host_cold_start(load) for _ in range(COLD_STARTS)),
    }


def main() -> None:
    arguments = harness.parser(__doc__ or "")
    arguments.add_argument("--toy", action="store_true", help="the toy provider instead of the real one")
    options = arguments.parse_args()
    with workload(0.5, toy=options.toy) as load:
        with ProviderHost(load.provider, env=load.env) as host:
            host.configure(load.config)
            checked, _ = host.check({}, load.inputs("steady"))
            job_id, outputs = host.create(checked, name="steady")
            local = in_process(load, outputs)
            remote = through_host(host, load, outputs)
        starts = cold_starts(load)
    module = provider_module(load.provider)
    rows = [
        ["check, in process", f"{local['check_us']:g} µs"],
        ["diff, in process", f"{local['diff_us']:g} µs"],
        ["check through the host (gRPC round trip)", f"{remote['check_us']:g} µs"],
        ["diff through the host (gRPC round trip)", f"{remote['diff_us']:g} µs"],
        ["interpreter start (for scale)", f"{starts['interpreter_s'] * 1000:.0f} ms"],
        ["import pulumi.dynamic in a fresh process (the host's own)", ms(starts["import_pulumi_s"])],
        [f"import {module} in a fresh process", ms(starts["import_provider_s"])],
        [f"import {module} once the host has Pulumi loaded", ms(starts["import_provider_after_pulumi_s"])],
        ["host spawn to first Check answered", f"{starts['host_to_first_check_s'] * 1000:.0f} ms"],
    ]
    notes = [
        f"Workload: {load.kind} provider. Medians of {IN_PROCESS_CALLS} in-process calls, {HOST_CALLS} "
        f"host calls, {COLD_STARTS} cold starts. Diff compares with the outputs of a real create ({job_id})."
    ]
    results = {"workload": load.kind, "in_process": local, "through_host": remote, "cold_start": starts}
    harness.report("check, diff and cold start", ["measure", "median"], rows, results, options.json, notes)


if __name__ == "__main__":
    main()
