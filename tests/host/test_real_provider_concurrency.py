"""Many TuningJobs wait at once in one stock host process (design decision 8, real provider).

Proven by what the emulator holds (jobs created and not finished while every create is still
waiting), never by timing."""

from __future__ import annotations

import time

import pytest

from support.deployment import Deployment
from support.emulator import InProcessEmulator, sample_dataset
from support.provider_host import HostCallError

pytestmark = pytest.mark.slow

TRAINING_URI = "gs://host-tests/train.jsonl"
CONFIG = {"gcp:project": "host-test-project", "gcp:region": "us-central1"}


def _inputs(name: str) -> dict[str, object]:
    return {
        "base_model": "gemini-3.1-flash-lite",
        "training_dataset_uri": TRAINING_URI,
        "pulumi_stack": "dev",
        "pulumi_project": "host-tests",
        "resource_name": name,
    }


def _jobs_waiting(emulator: InProcessEmulator, deployment: Deployment, count: int) -> int:
    """Send `count` creates of hour-long jobs at once; how many jobs exist while all are still waiting."""
    emulator.write_object(TRAINING_URI, sample_dataset())
    emulator.admin.set_job_seconds(3600)
    names = [f"job-{index}" for index in range(count)]
    # Every check first: in a host held to four workers, a check queues behind four waiting creates.
    checked = {name: deployment.check(_inputs(name), name=name) for name in names}
    creates = [deployment.create_in_background(inputs, name=name) for name, inputs in checked.items()]
    jobs = _settled_job_count(emulator, at_most=count)
    assert not any(create.done for create in creates), "a create returned while its job was running"
    deployment.kill()  # ends the waits, as when the engine stops the host; the jobs keep running
    for create in creates:
        with pytest.raises(HostCallError):
            create.join(timeout=30)
    return jobs


def _settled_job_count(emulator: InProcessEmulator, *, at_most: int, quiet_for: float = 3.0) -> int:
    """The number of jobs in the emulator once it has stopped growing for `quiet_for` seconds."""
    seen, changed_at, deadline = -1, time.monotonic(), time.monotonic() + 60
    while time.monotonic() < deadline:
        jobs = int(emulator.admin.stats()["jobs"])
        if jobs != seen:
            seen, changed_at = jobs, time.monotonic()
        if seen == at_most or time.monotonic() - changed_at > quiet_for:
            return seen
        time.sleep(0.05)
    return seen


def test_the_real_provider_lets_every_create_wait_at_once(emulator: InProcessEmulator) -> None:
    with Deployment(emulator, config=CONFIG) as deployment:
        assert _jobs_waiting(emulator, deployment, 8) == 8
        assert not [line for line in deployment.stderr_lines if "stock four concurrent operations" in line]


def test_with_the_limit_at_four_only_four_jobs_start(emulator: InProcessEmulator) -> None:
    stock = {**CONFIG, "vertex-tuning:maxConcurrentOperations": "4"}

    with Deployment(emulator, config=stock) as deployment:
        assert _jobs_waiting(emulator, deployment, 8) == 4
