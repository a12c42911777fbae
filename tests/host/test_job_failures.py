"""A job that fails, is cancelled out of band, or never leaves PENDING.

Create raises an error that names the job, quotes the service and says what to do next; no job of
ours is left running; and once the user fixes the cause, the next create makes a new job (a failed
or cancelled job is history, never adopted).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from typing import Any

import httpx
import pytest

from support.deployment import (
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


def user_env_without_a_project() -> dict[str, str]:
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GOOGLE_", "GCLOUD", "CLOUDSDK"))
    }


def run_cli(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`vertex-tuning ...` as a user would type it, run with this interpreter."""
    program, *args = shlex.split(command)
    assert program == "vertex-tuning"
    return subprocess.run(
        [sys.executable, "-m", "vertex_tuning.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def job_named_in(details: str) -> str:
    return next(word.rstrip(":.,") for word in details.split() if "/tuningJobs/" in word)


def next_up_makes_a_new_job(emulator, ledger, inputs: dict[str, Any], *, instead_of: str) -> None:
    """The next `pulumi up` (a new host) tunes anew: a failed or cancelled job is history, never adopted."""
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(inputs)
    assert job_id != instead_of and outs["state"] == "JOB_STATE_SUCCEEDED"
    assert jobs_in_states(emulator, *ACTIVE_STATES) == 0
    ledger.settle(emulator, jobs=2)


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
    next_up_makes_a_new_job(emulator, ledger, inputs, instead_of=failed)


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

    next_up_makes_a_new_job(emulator, ledger, inputs, instead_of=job_name)


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

    # The user gives up on it with the very command the error gave (no project configured: the
    # job's name says where it is), then creates again: a new job.
    advice = re.search(r"`(vertex-tuning jobs cancel [^`]+)`", details)
    assert advice is not None
    cancelled = run_cli(advice.group(1), env={**user_env_without_a_project(), **emulator.env})
    assert cancelled.returncode == 0, cancelled.stderr
    with ledger.aside(emulator):
        emulator.wait_for_state(stuck, "JOB_STATE_CANCELLED")
    next_up_makes_a_new_job(emulator, ledger, tuning_inputs(), instead_of=stuck)
