"""Resident memory of the provider host while 32 creates wait for their jobs.

A fresh host is configured and checked (idle), then 32 creates are sent at once for jobs that
stay RUNNING for the whole measurement (one-hour emulator jobs), and the host's RSS is sampled
from /proc while they poll. Side by side: this provider (32 waits in flight) and the stock host
(4 in flight, 28 queued). "drift" is the anonymous RSS (heap and stacks) at the end of the window
minus at its start: flat means the waits do not accumulate memory as they poll. Linux only (/proc).

The window holds only a few polls per job (the policy backs off to one a minute), so a long run
follows: a separate process polls one job with the provider's own client from 32 persistent
threads, 9600 GETs (what 32 jobs of about five hours cost), and reports its anonymous RSS as it goes.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import harness
from support.provider_host import HostCallError, ProviderHost
from workloads import Workload, workload

WAITING_JOBS = 32
SETTLE_SECONDS = 3.0
SOAK_ROUNDS, SOAK_GETS_PER_ROUND = 12, 800

# Runs in a fresh interpreter; argv: emulator host:port, gs:// training URI, threads, rounds, GETs per round.
_SOAK_CHILD = """
import json, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from vertex_tuning import settings, wire
from vertex_tuning.client import VertexClient
from vertex_tuning.names import LocationName, TuningJobName

def anon_kib():
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("RssAnon:")).split()[1])

host, uri, threads, rounds, per_round = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
environ = {"VERTEX_AI_EMULATOR_HOST": host}
client = VertexClient(settings.resolve_settings(project="bench-project", environ=environ))
spec = wire.SupervisedTuningSpec(training_dataset_uri=uri)
request = wire.TuningJob(base_model="gemini-3.1-flash-lite", supervised_tuning_spec=spec)
job = client.create_tuning_job(LocationName("bench-project", "us-central1"), request)
pool = ThreadPoolExecutor(threads)
list(pool.map(lambda _: client.get_tuning_job(TuningJobName.parse(job.name)), range(threads)))
for _ in range(rounds):
    list(pool.map(lambda _: client.get_tuning_job(TuningJobName.parse(job.name)), range(per_round)))
    print(json.dumps(anon_kib()), flush=True)
"""


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
    series = [sample["anon_kib"] for sample in samples]
    return {
        "idle_rss_kib": idle["rss_kib"],
        "waiting_rss_kib": waiting,
        "end_rss_kib": samples[-1]["rss_kib"],
        "peak_rss_kib": samples[-1]["peak_rss_kib"],
        "per_waiting_job_kib": round((waiting - idle["rss_kib"]) / WAITING_JOBS, 1),
        "drift_kib": series[-1] - series[0],
        "second_half_drift_kib": series[-1] - series[len(series) // 2],
        "rss_series_kib": series,
        "threads": samples[-1]["threads"],
        "job_gets_in_window": gets,
    }


def soak(load: Workload) -> dict[str, Any]:
    """RSS of a process polling with the provider's client from 32 threads, after each round of GETs."""
    from workloads import TRAINING_URI

    child = subprocess.run(
        [
            sys.executable,
            "-c",
            _SOAK_CHILD,
            load.env["VERTEX_AI_EMULATOR_HOST"],
            TRAINING_URI,
            *map(str, (WAITING_JOBS, SOAK_ROUNDS, SOAK_GETS_PER_ROUND)),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    series = [json.loads(line) for line in child.stdout.splitlines()]
    half = len(series) // 2
    return {
        "gets_per_round": SOAK_GETS_PER_ROUND,
        "anon_after_each_round_kib": series,
        "second_half_drift_kib": series[-1] - series[half - 1],
        "second_half_gets": SOAK_GETS_PER_ROUND * (len(series) - half),
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
        long_run = soak(load) if load.kind == "real" else None
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
    if long_run is not None:
        series = long_run["anon_after_each_round_kib"]
        notes.append(
            f"Long run, the provider's client polling from {WAITING_JOBS} threads: anonymous RSS "
            f"{mib(series[0])} after the first {SOAK_GETS_PER_ROUND} GETs, {mib(series[-1])} after "
            f"{SOAK_GETS_PER_ROUND * len(series)}; {long_run['second_half_drift_kib']:+d} KiB over the last "
            f"{long_run['second_half_gets']}."
        )
    harness.report(
        "host memory with 32 waiting creates",
        headers,
        rows,
        {"workload": load.kind, "window_s": options.window, **results, "long_run": long_run},
        options.json,
        notes,
    )


if __name__ == "__main__":
    main()
