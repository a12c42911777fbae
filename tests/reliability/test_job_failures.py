"""Issue 4, item 5: a job that fails, is cancelled out of band, or never leaves PENDING.

Create raises an error that names the job, quotes the service and says what to do next; no job of
ours is left running; and once the user fixes the cause, the next create makes a new job (a failed
or cancelled job is history, never adopted).
"""

from __future__ import annotations

import httpx
import pytest

from harness import (
    ACTIVE_STATES,
    BAD_DATASET,
    TRAINING_URI,
    Deployment,
    jobs_in_states,
    put_dataset,
    tuning_inputs,
)
from support.provider_host import HostCallError
from vertex_tuning.wire import JobState

pytestmark = pytest.mark.slow


def job_named_in(details: str) -> str:
    return next(word.rstrip(":.,") for word in details.split() if "/tuningJobs/" in word)


def test_failed_dataset_then_fixed_file_makes_a_new_job(emulator, ledger):
    put_dataset(emulator, text=BAD_DATASET)
    inputs = tuning_inputs()
    with Deployment(emulator) as deployment:
        details = deployment.failed_up(inputs)
    failed = job_named_in(details)

    assert f"Tuning job {failed} ended FAILED" in details
    assert TRAINING_URI in details and "line 1" in details, "the service's message, quoted"
    assert "vertex-tuning dataset validate" in details and "run `pulumi up` again" in details
    assert jobs_in_states(emulator, *ACTIVE_STATES) == 0

    put_dataset(emulator)  # the user fixes the file in place; the inputs stay the same
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(inputs)

    assert job_id != failed and outs["state"] == "JOB_STATE_SUCCEEDED"
    ledger.settle(emulator, jobs=2)


def test_service_failure_message_is_quoted(emulator, ledger):
    put_dataset(emulator)
    emulator.admin.fail_next_job("Failed to create endpoint. Tuned model is uploaded (injected).")
    with Deployment(emulator) as deployment:
        details = deployment.failed_up(tuning_inputs())
        job_id, outs = deployment.up(tuning_inputs())  # retried as is: the failure was the service's

    failed = job_named_in(details)
    assert f"{failed} ended FAILED: Failed to create endpoint. Tuned model is uploaded (injected)" in details
    assert job_id != failed and outs["state"] == "JOB_STATE_SUCCEEDED"
    assert jobs_in_states(emulator, *ACTIVE_STATES) == 0
    ledger.settle(emulator, jobs=2)


def test_cancelled_out_of_band_then_next_create_makes_a_new_job(emulator, ledger):
    put_dataset(emulator)
    emulator.admin.stick_next_job(JobState.RUNNING)
    inputs = tuning_inputs()
    with Deployment(emulator) as deployment:
        waiting = deployment.up_in_background(inputs)
        job_name = deployment.wait_for_line("is RUNNING").split()[1]
        cancelled = httpx.post(f"{emulator.base_url}/v1/{job_name}:cancel", json={})
        assert cancelled.status_code == 200
        with pytest.raises(HostCallError, match="ended CANCELLED") as raised:
            waiting.join()
    details = raised.value.details
    assert job_name in details
    assert "cancelled outside this deployment" in details and "run `pulumi up` again" in details
    assert jobs_in_states(emulator, *ACTIVE_STATES) == 0

    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(inputs)
    assert job_id != job_name and outs["state"] == "JOB_STATE_SUCCEEDED"
    ledger.settle(emulator, jobs=2)


def test_stuck_pending_raises_at_the_deadline_and_says_how_to_stop_it(emulator, ledger):
    put_dataset(emulator)
    emulator.admin.stick_next_job(JobState.PENDING)
    with Deployment(emulator) as deployment:
        details = deployment.failed_up(tuning_inputs(wait_timeout_minutes=0.02))
    stuck = job_named_in(details)

    assert f"Tuning job {stuck} is still PENDING after waiting" in details
    assert "adopts this job" in details, "the next `pulumi up` keeps waiting on it"
    assert f"vertex-tuning jobs cancel {stuck}" in details, "and the user learns how to stop it"
    # Decision 3: a deadline never cancels; the job is left for the next create to adopt.
    assert jobs_in_states(emulator, "JOB_STATE_PENDING") == 1

    # The user gives up on it: cancelling it, then creating again, makes a new job.
    httpx.post(f"{emulator.base_url}/v1/{stuck}:cancel", json={}).raise_for_status()
    with ledger.aside(emulator):
        emulator.wait_for_state(stuck, "JOB_STATE_CANCELLED")
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(tuning_inputs())
    assert job_id != stuck and outs["state"] == "JOB_STATE_SUCCEEDED"
    assert jobs_in_states(emulator, *ACTIVE_STATES) == 0
    ledger.settle(emulator, jobs=2)
