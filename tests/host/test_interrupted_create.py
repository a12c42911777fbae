"""A create interrupted after the service committed the job.

The answer to the POST is lost, the provider host is SIGKILLed while it waits, or the wait's
deadline runs out: in every case the service holds exactly one job, and the next create (a new
host, as the next `pulumi up` is) adopts it instead of paying for a second one.
"""

from __future__ import annotations

import pytest

from support.deployment import Deployment, jobs_in_states, put_dataset, tuning_inputs, wait_until
from support.provider_host import HostCallError
from vertex_tuning.wire import JobState

pytestmark = pytest.mark.slow


def test_lost_create_response_adopts_the_committed_job(emulator, ledger):
    put_dataset(emulator)
    emulator.admin.drop_next_create()
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(tuning_inputs())
        deployment.wait_for_line("the answer to the create was lost")
        deployment.wait_for_line(f"found {job_id}: the create had gone through; adopting it")

    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert emulator.get_job(job_id)["state"] == "JOB_STATE_SUCCEEDED"
    assert outs["tuned_model_endpoint_name"]
    assert emulator.admin.request_count("tuningJobs.create") == 1
    ledger.settle(emulator, jobs=1)


@pytest.mark.parametrize("shutdown", ["kill", "interrupt"])
def test_host_killed_mid_wait_then_next_create_adopts(emulator, ledger, shutdown):
    """`kill`: SIGKILL. `interrupt`: Ctrl-C in `pulumi up`, the engine's SIGINT then SIGKILL."""
    put_dataset(emulator)
    emulator.admin.stick_next_job(JobState.RUNNING)
    inputs = tuning_inputs()

    first = Deployment(emulator)
    interrupted = first.up_in_background(inputs)
    line = first.wait_for_line("is RUNNING")
    job_name = line.split()[1]
    if shutdown == "kill":
        first.kill()
    else:
        first.interrupt(grace=2.0)
    with pytest.raises(HostCallError):
        interrupted.join()
    assert jobs_in_states(emulator, "JOB_STATE_RUNNING") == 1, "the job must outlive the host"

    emulator.admin.stick_job(job_name, None)  # the job may now finish
    with Deployment(emulator) as second:
        job_id, outs = second.up(inputs)
        second.wait_for_line(f"adopting {job_name}")

    assert job_id == job_name
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert emulator.admin.request_count("tuningJobs.create") == 1
    ledger.settle(emulator, jobs=1, scenario=f"host_{shutdown}ed_mid_wait_then_next_create_adopts")


def test_wait_deadline_passes_then_next_create_adopts(emulator, ledger):
    put_dataset(emulator)
    emulator.admin.stick_next_job(JobState.RUNNING)
    inputs = tuning_inputs(wait_timeout_minutes=0.02)  # 1.2 seconds

    with Deployment(emulator) as first:
        details = first.failed_up(inputs)
    job_name = next(word for word in details.split() if "/tuningJobs/" in word)
    assert "is still RUNNING after waiting" in details
    assert "keeps running" in details and "adopts this job" in details
    assert jobs_in_states(emulator, "JOB_STATE_RUNNING") == 1, "a deadline must never cancel the job"

    emulator.admin.stick_job(job_name, None)
    with Deployment(emulator) as second:
        job_id, outs = second.up(tuning_inputs())

    assert job_id == job_name
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert emulator.admin.request_count("tuningJobs.create") == 1
    ledger.settle(emulator, jobs=1)


def test_lost_create_response_while_lookups_fail_never_creates_again(emulator, ledger):
    """If the job cannot be looked up after a lost answer, create gives up rather than risk a second."""
    put_dataset(emulator)
    emulator.admin.drop_next_create()
    emulator.admin.add_latency("tuningJobs.create", 1.0, times=1)  # time to break list meanwhile
    with Deployment(emulator) as deployment:
        creating = deployment.up_in_background(tuning_inputs())
        # The create is counted on arrival, then held a second; the lookups start half a second
        # after its answer is lost. From then on every list fails.
        wait_until(lambda: emulator.admin.request_count("tuningJobs.create") == 1, what="the create")
        emulator.admin.add_fault("tuningJobs.list", status=503, retry_after=0.05, times=None)
        with pytest.raises(HostCallError) as raised:
            creating.join()
    emulator.admin.clear_faults()
    assert (
        "answer was lost" in raised.value.details
        and "whether a job exists is unknown" in raised.value.details
    )
    assert "Run `pulumi up` again: it adopts the job if it exists" in raised.value.details
    assert emulator.admin.request_count("tuningJobs.create") == 1

    with Deployment(emulator) as again:
        _, outs = again.up(tuning_inputs())
    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert emulator.admin.request_count("tuningJobs.create") == 1, "the lost job was adopted"
    ledger.settle(emulator, jobs=1)


def test_500_on_create_is_looked_up_before_the_create_is_sent_again(emulator, ledger):
    """A 500 may come from a front end after the job was made: look first, resend only if absent."""
    put_dataset(emulator)
    emulator.admin.add_fault("tuningJobs.create", status=500, times=1)  # answered before any job exists
    with Deployment(emulator) as deployment:
        _, outs = deployment.up(tuning_inputs())
        deployment.wait_for_line("no job was created; sending the create again")

    assert outs["state"] == "JOB_STATE_SUCCEEDED"
    assert emulator.admin.request_count("tuningJobs.create") == 2
    assert emulator.admin.request_count("tuningJobs.list") >= 2, "a lookup came between the two"
    ledger.settle(emulator, jobs=1)
