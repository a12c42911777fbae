"""API calls per job and detection latency of the wait, on a virtual clock.

Runs the provider's real `lifecycle.Lifecycle.wait` (the code a create runs) against a fake job
that succeeds after L seconds, with time simulated, for job lengths from a second to half a day.
Side by side: the provider's polling policy (`polling.DEFAULT_POLICY`) and the fixed 60-second
loop of the Vertex AI samples (`while not job.has_ended: time.sleep(60); job.refresh()`),
expressed as a constant policy through the same code.

Detection latency = the time the wait returned minus the time the job finished. Real jobs do not
end on round numbers, so each nominal length L is run as 101 jobs spread evenly over
[0.9 L, 1.1 L]; the table shows the mean GETs and the mean and worst latency.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import harness
from vertex_tuning import wire
from vertex_tuning.lifecycle import Lifecycle
from vertex_tuning.metrics_reader import MetricPoint
from vertex_tuning.polling import DEFAULT_POLICY, PollPolicy

JOB = "projects/123/locations/us-central1/tuningJobs/42"
SAMPLES_LOOP = PollPolicy(first_delay=60.0, growth=1.0, max_delay=60.0)
JOB_LENGTHS = [1, 5, 30, 120, 600, 1800, 3600, 3 * 3600, 12 * 3600]
"""Seconds: emulator jobs, short real jobs, and the 1-12 hour jobs that Gemini tuning takes."""


@dataclass
class VirtualJob:
    """A job that is RUNNING until `length` seconds of virtual time have passed, then SUCCEEDED."""

    length: float
    now: float = 0.0
    gets: int = 0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def get_tuning_job(self, name: str) -> wire.TuningJob:
        self.gets += 1
        done = self.now >= self.length
        return wire.TuningJob(name=name, state="JOB_STATE_SUCCEEDED" if done else "JOB_STATE_RUNNING")

    def create_tuning_job(self, project: str, location: str, job: wire.TuningJob) -> wire.TuningJob:
        raise NotImplementedError("the wait never creates")

    def list_tuning_jobs(
        self, project: str, location: str, *, filter: str | None = None, page_size: int | None = None
    ) -> Iterator[wire.TuningJob]:
        raise NotImplementedError("the wait never lists")

    def cancel_tuning_job(self, name: str) -> None:
        raise NotImplementedError("the wait never cancels")

    def read_metrics(self, job: wire.TuningJob) -> dict[str, list[MetricPoint]]:
        raise NotImplementedError("the wait never reads metrics")


def wait_for(policy: PollPolicy, length: float) -> VirtualJob:
    job = VirtualJob(length)
    lifecycle = Lifecycle(client=job, policy=policy, clock=job.clock, sleep=job.sleep, log=lambda _: None)
    lifecycle.wait(wire.TuningJob(name=JOB, state="JOB_STATE_PENDING"), timeout_seconds=48 * 3600)
    return job


def evaluate(policy: PollPolicy, nominal: float, spread: int = 101) -> dict[str, float]:
    lengths = [nominal * (0.9 + 0.2 * i / (spread - 1)) for i in range(spread)]
    jobs = [wait_for(policy, length) for length in lengths]
    latencies = [job.now - job.length for job in jobs]
    return {
        "gets_mean": round(statistics.fmean(job.gets for job in jobs), 1),
        "gets_max": max(job.gets for job in jobs),
        "latency_mean_s": round(statistics.fmean(latencies), 2),
        "latency_max_s": round(max(latencies), 2),
    }


def cells(result: dict[str, float]) -> list[str]:
    latency = f"{result['latency_mean_s']:g} s / {result['latency_max_s']:g} s"
    return [f"{result['gets_mean']:g}", latency]


def human(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


def main() -> None:
    arguments = harness.parser(__doc__ or "").parse_args()
    runs: list[dict[str, Any]] = []
    rows = []
    for length in JOB_LENGTHS:
        ours, samples = evaluate(DEFAULT_POLICY, length), evaluate(SAMPLES_LOOP, length)
        runs.append({"job_seconds": length, "provider": ours, "fixed_60s_loop": samples})
        rows.append([human(length), *cells(ours), *cells(samples)])
    headers = [
        "job length",
        "GETs: provider",
        "noticed after: provider (mean / worst)",
        "GETs: 60 s loop",
        "noticed after: 60 s loop (mean / worst)",
    ]
    policy = {
        "first_delay_s": DEFAULT_POLICY.first_delay,
        "growth": DEFAULT_POLICY.growth,
        "max_delay_s": DEFAULT_POLICY.max_delay,
    }
    notes = [
        f"Provider policy: first poll after {DEFAULT_POLICY.first_delay:g} s, each delay x"
        f"{DEFAULT_POLICY.growth:g}, capped at {DEFAULT_POLICY.max_delay:g} s. Virtual clock, no network."
    ]
    harness.report(
        "polling cost per job", headers, rows, {"policy": policy, "runs": runs}, arguments.json, notes
    )


if __name__ == "__main__":
    main()
