"""Resident memory of the provider host while 32 creates wait for their jobs.

A fresh host is configured and checked (idle), then 32 creates are sent at once for jobs that
stay RUNNING for the whole measurement (one-hour emulator jobs), and the host's RSS is sampled
from /proc while they poll. Side by side: this provider (32 waits in flight) and the stock host
(4 in flight, 28 queued). "drift" is RSS at the end of the window minus RSS at its start: flat
means the waits do not accumulate memory as they poll. Linux only (/proc).
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import harness
from support.provider_host import HostCallError, ProviderHost
from workloads import Workload, workload

WAITING_JOBS = 32
SETTLE_SECONDS = 3.0


def measure(load: Workload, *, widened: bool, window: float) -> dict[str, Any]:
    mode = "widened" if widened else "stock"
    names = [f"memory-{mode}-{index}" for index in range(WAITING_JOBS)]
    host = ProviderHost(load.provider, env=load.env).start()
    engine = ThreadPoolExecutor(WAITING_JOBS)
    try:
        host.configure(load.stack_config(widened=widened))
        checked = list(engine.map(lambda name: host.check({}, load.inputs(name), name=name)[0], names))
        idle = harness.rss_kib(host.pid)
        for inputs, name in zip(checked, names, strict=True):
            engine.submit(_wait_quietly, host, inputs, name)
        time.sleep(SETTLE_SECONDS)
        gets_before = _job_gets(load)
        samples = _sample(host.pid, window)
        gets = _job_gets(load) - gets_before
    finally:
        host.kill()  # the waits end with the host, as when the engine stops it
        engine.shutdown(wait=True)
    waiting = samples[0]["rss_kib"]
    series = [sample["rss_kib"] for sample in samples]
    return {
        "idle_rss_kib": idle["rss_kib"],
        "waiting_rss_kib": waiting,
        "end_rss_kib": samples[-1]["rss_kib"],
        "peak_rss_kib": samples[-1]["peak_rss_kib"],
        "per_waiting_job_kib": round((waiting - idle["rss_kib"]) / WAITING_JOBS, 1),
        "drift_kib": samples[-1]["rss_kib"] - waiting,
        "second_half_drift_kib": series[-1] - series[len(series) // 2],
        "rss_series_kib": series,
        "threads": samples[-1]["threads"],
        "job_gets_in_window": gets,
    }


def _job_gets(load: Workload) -> int:
    """Job-status GETs the emulator has answered so far (0 for the toy workload: it polls nothing)."""
    if load.emulator is None:
        return 0
    from vertex_tuning.emulator.admin import EmulatorAdmin

    with EmulatorAdmin(load.emulator.base_url) as admin:
        return admin.request_count("tuningJobs.get")


def _wait_quietly(host: ProviderHost, inputs: dict[str, Any], name: str) -> None:
    with contextlib.suppress(HostCallError, RuntimeError):  # ended by the kill, or the channel closing
        host.create(inputs, name=name)


def _sample(pid: int, window: float, interval: float = 0.5) -> list[dict[str, int]]:
    samples = []
    deadline = time.monotonic() + window
    while time.monotonic() < deadline:
        samples.append({**harness.rss_kib(pid), "threads": _threads(pid)})
        time.sleep(interval)
    return samples


def _threads(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def main() -> None:
    arguments = harness.parser(__doc__ or "")
    arguments.add_argument("--toy", action="store_true", help="the toy provider instead of the real one")
    arguments.add_argument("--window", type=float, default=40.0, help="seconds of sampling while waiting")
    options = arguments.parse_args()
    with workload(3600.0, toy=options.toy) as load:
        results = {
            mode: measure(load, widened=mode == "widened", window=options.window)
            for mode in ("widened", "stock")
        }
    rows = [
        [
            mode,
            mib(r["idle_rss_kib"]),
            mib(r["waiting_rss_kib"]),
            f"{r['per_waiting_job_kib']:g} KiB",
            f"{r['drift_kib']:+d} KiB ({r['job_gets_in_window']} GETs)",
            f"{r['second_half_drift_kib']:+d} KiB",
            mib(r["peak_rss_kib"]),
            r["threads"],
        ]
        for mode, r in results.items()
    ]
    headers = [
        "host",
        "idle RSS",
        f"RSS, {WAITING_JOBS} creates waiting",
        "per create",
        "drift over window",
        "of which 2nd half",
        "peak RSS",
        "threads",
    ]
    notes = [
        f"Workload: {load.kind} provider; RSS sampled every 0.5 s for {options.window:g} s after "
        f"{SETTLE_SECONDS:g} s of settling; GETs counted by the emulator. The stock host holds 4 waits and "
        "queues 28."
    ]
    harness.report(
        "host memory with 32 waiting creates",
        headers,
        rows,
        {"workload": load.kind, "window_s": options.window, **results},
        options.json,
        notes,
    )


if __name__ == "__main__":
    main()
