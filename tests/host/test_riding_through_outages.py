"""Outages: the service restarts or pushes back while jobs run, and every wait rides through.

Polling rides through an emulator restart (refused connections) and every job still succeeds;
429/503 bursts with Retry-After on get and list are retried after the time the service asked for,
a bounded number of times; a 4xx other than 429 is never retried.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import pytest

from support.clock import VirtualClock
from support.deployment import Deployment, jobs_in_states, put_dataset, tuning_inputs, wait_until
from support.emulator import PROJECT, EmulatorProcess
from support.provider_host import HostCallError
from vertex_tuning import wire
from vertex_tuning.client import RetryPolicy, VertexClient
from vertex_tuning.errors import TransportError
from vertex_tuning.lifecycle import Lifecycle
from vertex_tuning.names import LocationName
from vertex_tuning.settings import Settings, Transport
from vertex_tuning.wire import JobState

pytestmark = pytest.mark.slow

MAX_ATTEMPTS = RetryPolicy().max_attempts


class TimedRequests(Counter[str]):
    """The emulator's request counter, also noting when each request of a route arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: defaultdict[str, list[float]] = defaultdict(list)

    def __setitem__(self, route: str, count: int) -> None:
        self.arrivals[route].append(time.monotonic())
        super().__setitem__(route, count)


def timed(emulator) -> TimedRequests:
    """Instrument an in-process emulator that has served nothing yet."""
    assert not emulator.server.emulator.requests, "instrument before the first request"
    emulator.server.emulator.requests = TimedRequests()
    return emulator.server.emulator.requests


@pytest.fixture
def slow_jobs_emulator(tmp_path: Path):
    """A subprocess emulator whose jobs run long enough (6 s) to restart it under them."""
    running = EmulatorProcess(tmp_path / "emulator", job_seconds=6.0).start()
    try:
        yield running
    finally:
        running.kill()
        running.admin.close()


def test_emulator_restart_while_jobs_run(slow_jobs_emulator, ledger):
    emulator = slow_jobs_emulator
    put_dataset(emulator)
    with Deployment(emulator) as deployment:
        first = deployment.up_in_background(tuning_inputs("first"))
        second = deployment.up_in_background(tuning_inputs("second"))
        wait_until(lambda: jobs_in_states(emulator, "JOB_STATE_RUNNING") == 2, what="two running jobs")
        served_before = emulator.admin.stats()["requests"]

        emulator.kill()  # SIGKILL: no clean shutdown; its SQLite state must carry the jobs
        with pytest.raises(httpx.ConnectError):
            httpx.get(emulator.base_url + "/v1/projects/p/locations/us-central1/tuningJobs")
        # Down longer than any poll interval at this stage (at most 2.5 s in the first 7 s of a
        # wait), so every waiting create meets refused connections before the service returns.
        time.sleep(3.0)
        emulator.start()

        outputs = [first.join()[1], second.join()[1]]

    assert [outs["state"] for outs in outputs] == ["JOB_STATE_SUCCEEDED"] * 2
    assert served_before["tuningJobs.create"] == 2
    assert emulator.admin.request_count("tuningJobs.create") == 0, "no create after the restart"
    ledger.settle(emulator, jobs=2, earlier_calls=served_before)


def test_polling_outage_is_bounded(tmp_path):
    """A service that never comes back ends the wait after the outage budget, with a clear error.

    In process, on a virtual clock: the requests really go to a port nobody listens on any more."""
    emulator = EmulatorProcess(tmp_path / "emulator").start()
    clock = VirtualClock()
    settings = Settings(project=PROJECT, transport=Transport(emulator_host=emulator.host_port))
    client = VertexClient(
        settings, retry=RetryPolicy(max_attempts=3, budget=60.0), sleep=clock.sleep, clock=clock
    )
    put_dataset(emulator)
    body = wire.TuningJob(
        base_model="gemini-3.1-flash-lite",
        supervised_tuning_spec=wire.SupervisedTuningSpec(training_dataset_uri="gs://reliability/train.jsonl"),
    )
    lines: list[str] = []
    budget, deadline = 300.0, 24 * 3600.0
    lifecycle = Lifecycle(client, log=lines.append, clock=clock, sleep=clock.sleep, outage_budget=budget)
    try:
        job = client.create_tuning_job(LocationName(PROJECT, "us-central1"), body)
        emulator.kill()
        with pytest.raises(TransportError) as raised:
            lifecycle.wait(job, timeout_seconds=deadline)
    finally:
        client.close()
        emulator.kill()
        emulator.admin.close()
    assert budget < clock.now < 2 * budget, "the outage budget ends the wait, long before the deadline"
    assert f"GET {job.name}" in str(raised.value)
    assert sum("did not answer" in line and "still polling" in line for line in lines) == 1


def test_retry_after_bursts_on_list_and_get(emulator, ledger):
    put_dataset(emulator)
    requests = timed(emulator)
    emulator.admin.add_fault("tuningJobs.list", status=429, retry_after=1.0, times=2)
    emulator.admin.add_fault("tuningJobs.get", status=503, retry_after=1.0, times=3)

    with Deployment(emulator) as deployment:
        _, outs = deployment.up(tuning_inputs())

    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert emulator.admin.faults() == [], "every injected fault was met"
    lists, gets = requests.arrivals["tuningJobs.list"], requests.arrivals["tuningJobs.get"]
    # Each rejected request is followed by the next one no sooner than Retry-After asked (the
    # first list met both 429s; later lists are the lookups that keep one live job per resource).
    assert len(lists) >= 3
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(lists[:3]))
    assert len(gets) >= 4
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(gets[:4]))
    assert emulator.admin.request_count("tuningJobs.create") == 1
    ledger.settle(emulator, jobs=1)


def test_endless_503_is_retried_a_bounded_number_of_times(emulator, ledger):
    put_dataset(emulator)
    emulator.admin.add_fault("tuningJobs.list", status=503, retry_after=0.1, times=None)

    with Deployment(emulator) as deployment:
        details = deployment.failed_up(tuning_inputs())

    assert "UNAVAILABLE" in details or "503" in details
    assert emulator.admin.request_count("tuningJobs.list") == MAX_ATTEMPTS
    assert emulator.admin.request_count("tuningJobs.create") == 0, "no create without knowing"
    ledger.settle(emulator, jobs=0)


@pytest.mark.parametrize(("route", "status"), [("tuningJobs.list", 403), ("tuningJobs.create", 400)])
def test_other_4xx_is_not_retried(emulator, ledger, route, status):
    put_dataset(emulator)
    emulator.admin.add_fault(route, status=status, retry_after=0.1, times=None, message="Denied by test.")

    with Deployment(emulator) as deployment:
        details = deployment.failed_up(tuning_inputs())

    assert "Denied by test" in details, "the service's message, quoted"
    assert emulator.admin.request_count(route) == 1
    ledger.settle(emulator, jobs=0, scenario=f"{status}_on_{route.split('.')[-1]}_not_retried")


def test_429_on_create_is_retried_and_makes_one_job(emulator, ledger):
    put_dataset(emulator)
    emulator.admin.add_fault("tuningJobs.create", status=429, retry_after=0.5, times=2)

    with Deployment(emulator) as deployment:
        _, outs = deployment.up(tuning_inputs())

    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert emulator.admin.request_count("tuningJobs.create") == 3
    ledger.settle(emulator, jobs=1)


def test_403_while_waiting_names_the_running_job_and_the_next_create_adopts(emulator, ledger):
    """A 4xx while waiting is not retried; the job it leaves running is named, adopted next time."""
    put_dataset(emulator)
    emulator.admin.stick_next_job(JobState.RUNNING)
    with Deployment(emulator) as deployment:
        waiting = deployment.up_in_background(tuning_inputs())
        job_name = deployment.wait_for_line("is RUNNING").split()[1]
        emulator.admin.add_fault(
            "tuningJobs.get", status=403, times=None, message="Permission revoked (test)."
        )
        with pytest.raises(HostCallError) as raised:
            waiting.join()
    emulator.admin.clear_faults()
    details = raised.value.details
    assert "Permission revoked (test)" in details
    assert f"Tuning job {job_name} keeps running" in details and "adopts this job" in details
    assert f"vertex-tuning jobs cancel {job_name}" in details
    assert emulator.admin.request_count("tuningJobs.get") >= 1

    emulator.admin.stick_job(job_name, None)
    with Deployment(emulator) as again:
        job_id, outs = again.up(tuning_inputs())
    assert job_id == job_name and outs["state"] == "JOB_STATE_SUCCEEDED"
    ledger.settle(emulator, jobs=1)


def test_many_creates_under_mixed_faults_make_one_job_each(emulator, ledger):
    """Six resources created at once while the service drops an answer and sheds load everywhere."""
    put_dataset(emulator)
    # (No 503 on create here: a request takes every fault in force on its route, so a 503 would
    # use up the dropped answer too.)
    emulator.admin.drop_next_create()
    emulator.admin.add_fault("tuningJobs.list", status=503, retry_after=0.2, times=4)
    emulator.admin.add_fault("tuningJobs.get", status=429, retry_after=0.2, times=4)
    names = [f"bot-{index}" for index in range(6)]
    with Deployment(emulator) as deployment:
        creating = [deployment.up_in_background(tuning_inputs(name)) for name in names]
        results = [call.join(timeout=120) for call in creating]
        deployment.wait_for_line("the create had gone through; adopting it")

    assert len({job_id for job_id, _ in results}) == len(names)
    assert all(outs["state"] == "JOB_STATE_SUCCEEDED" for _, outs in results)
    assert emulator.admin.faults() == [], "every injected fault was met"
    ledger.settle(emulator, jobs=len(names))
