"""`pulumi destroy` of tuning jobs through the real engine, and what it cannot see."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from support.emulator import sample_dataset
from support.engine import DATASET, Engine, interrupted_mid_wait, one_job
from vertex_tuning.wire import JobState


def test_destroy_leaves_a_succeeded_job_and_says_that_its_model_remains(engine: Engine) -> None:
    engine.emulator.write_object(DATASET, sample_dataset(10))
    stack = engine.stack(one_job())
    stack.up()
    job = stack.outputs()["job"]

    run = stack.destroy()

    assert ("delete", "bot") in run.operations()
    said = "\n".join(run.diagnostics())
    assert job in said and "remain" in said
    assert engine.emulator.admin.request_count("tuningJobs.cancel") == 0
    assert engine.jobs_by_state() == {JobState.SUCCEEDED.value: 1}
    assert stack.tuning_jobs_in_state() == []


# The killed CLI abandons the inline program's coroutines in this test process; they are never awaited.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_destroy_after_a_killed_up_cannot_see_the_job_and_the_readme_command_stops_it(
    engine: Engine,
) -> None:
    stack, job, _ = interrupted_mid_wait(engine, signal.SIGKILL)
    stack.stack.cancel()  # the killed CLI's lock, as the README says

    run = stack.destroy()

    # The engine keeps the pending create out of the destroy: it only warns.
    assert "pending operations" in run.stdout and "interrupted while creating" in run.stdout
    assert engine.jobs_by_state() == {JobState.RUNNING.value: 1}, "nothing cancelled it"
    command = [sys.executable, "-m", "vertex_tuning.cli", "jobs", "cancel", job, "--wait"]
    cancelled = subprocess.run(command, env=engine.env, capture_output=True, text=True, check=False)
    assert cancelled.returncode == 0, cancelled.stderr
    assert engine.jobs_by_state() == {JobState.CANCELLED.value: 1}
