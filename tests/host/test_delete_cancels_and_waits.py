"""Delete while RUNNING, while CANCELLING, after success, after 404.

A running job is cancelled once and waited until terminal; a cancelling one is only waited for; a
finished one is left alone (its model and endpoint remain); a job that is gone is fine. Deleting
again changes nothing: delete is idempotent. Jobs made here outside the provider stand for jobs
seen by refresh or an interrupted run; the ledger counts only the calls made after they exist.
"""

from __future__ import annotations

import httpx
import pytest

from support.deployment import Deployment, put_dataset, tuning_inputs
from support.emulator import PROJECT
from vertex_tuning.emulator.jobs import project_number
from vertex_tuning.wire import JobState

pytestmark = pytest.mark.slow


def out_of_band_job(emulator, state: JobState) -> str:
    """A job created straight on the service and held in `state` (PENDING or RUNNING)."""
    emulator.admin.stick_next_job(state)
    name = emulator.create_job(put_dataset(emulator))["name"]
    emulator.wait_for_state(name, state.value)
    return str(name)


def settle(emulator, ledger, *, cancels: int, jobs: int) -> None:
    """The scenario's end: the cancels the service received (out-of-band ones included), then the ledger."""
    assert emulator.admin.request_count("tuningJobs.cancel") == cancels
    ledger.settle(emulator, jobs=jobs)


def test_delete_while_running_cancels_and_waits(emulator, ledger):
    job_name = out_of_band_job(emulator, JobState.RUNNING)
    ledger.start(emulator)

    with Deployment(emulator) as deployment:
        deployment.delete(job_name, {"job_name": job_name})
        with ledger.aside(emulator):
            assert emulator.get_job(job_name)["state"] == "JOB_STATE_CANCELLED", "terminal on return"
        deployment.wait_for_line(f"cancelling {job_name} (it was RUNNING)")
        deployment.delete(job_name, {"job_name": job_name})
        deployment.wait_for_line(f"{job_name} already ended CANCELLED; nothing to cancel")

    settle(emulator, ledger, cancels=1, jobs=1)


def test_delete_while_pending_cancels_and_waits(emulator, ledger):
    job_name = out_of_band_job(emulator, JobState.PENDING)
    ledger.start(emulator)

    with Deployment(emulator) as deployment:
        deployment.delete(job_name, {"job_name": job_name})
        deployment.wait_for_line(f"cancelling {job_name} (it was PENDING)")

    settle(emulator, ledger, cancels=1, jobs=1)
    assert emulator.get_job(job_name)["state"] == "JOB_STATE_CANCELLED"


def test_delete_while_cancelling_waits_without_cancelling_again(emulator, ledger):
    emulator.admin.set_job_seconds(20)  # a cancel settles in a tenth of the job's time: 2 s
    job_name = out_of_band_job(emulator, JobState.RUNNING)
    with Deployment(emulator) as deployment:
        deployment.check(tuning_inputs())  # loads the provider before the clock matters
        ledger.start(emulator)
        httpx.post(f"{emulator.base_url}/v1/{job_name}:cancel", json={}).raise_for_status()
        deployment.delete(job_name, {"job_name": job_name})
        deployment.wait_for_line(f"{job_name} is CANCELLING")
        deployment.wait_for_line(f"{job_name} is CANCELLED")
        lines = deployment.stderr_lines
    assert not any("cancelling" in line or "already ended" in line for line in lines)

    assert emulator.admin.request_count("tuningJobs.cancel") == 1, "only the out-of-band cancel"
    ledger.settle(emulator, jobs=1)
    assert emulator.get_job(job_name)["state"] == "JOB_STATE_CANCELLED"


def test_delete_after_success_leaves_the_model(emulator, ledger):
    put_dataset(emulator)
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(tuning_inputs())
    ledger.start(emulator)

    with Deployment(emulator) as deployment:
        deployment.delete(job_id, outs)
        deployment.delete(job_id, outs)
        line = deployment.wait_for_line(f"{job_id} already ended SUCCEEDED")
        assert outs["tuned_model_name"] in line and outs["tuned_model_endpoint_name"] in line
        assert "remain" in line

    settle(emulator, ledger, cancels=0, jobs=1)
    assert emulator.get_job(job_id)["state"] == "JOB_STATE_SUCCEEDED"


def test_delete_after_404_is_fine(emulator, ledger):
    gone = f"projects/{project_number(PROJECT)}/locations/us-central1/tuningJobs/1234567890"

    with Deployment(emulator) as deployment:
        deployment.delete(gone, {"job_name": gone})
        deployment.delete(gone, {"job_name": gone})
        deployment.wait_for_line(f"{gone} no longer exists; nothing to cancel")

    settle(emulator, ledger, cancels=0, jobs=0)


def test_delete_rides_through_503_on_cancel(emulator, ledger):
    """The cancel is safe to repeat, so a 503 burst on it is retried, after Retry-After."""
    job_name = out_of_band_job(emulator, JobState.RUNNING)
    emulator.admin.add_fault("tuningJobs.cancel", status=503, retry_after=0.2, times=2)
    ledger.start(emulator)

    with Deployment(emulator) as deployment:
        deployment.delete(job_name, {"job_name": job_name})

    settle(emulator, ledger, cancels=3, jobs=1)
    assert emulator.get_job(job_name)["state"] == "JOB_STATE_CANCELLED"
