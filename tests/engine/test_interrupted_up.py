"""An interrupted `pulumi up` while a job waits: the job keeps running, the next run adopts it.

The engine's Ctrl-C: a first ^C makes the engine send the provider Cancel and wait for operations in
flight; the provider stops waiting at once (cancellation.py), so the create fails with a message and
nothing is pending. A killed CLI leaves a pending create and a locked stack. Either way the README's
steps must end with the one job adopted.
"""

from __future__ import annotations

import signal

import pytest
from pulumi import automation as auto

from support.engine import Engine, interrupted_mid_wait, pending_creates
from vertex_tuning.wire import JobState

RUNNING = JobState.RUNNING.value


def test_one_ctrl_c_stops_the_wait_at_once_leaves_the_job_running_and_the_next_up_adopts_it(
    engine: Engine,
) -> None:
    # The job is held RUNNING: had the engine waited for it, the up would never end (the harness
    # gives it 60 s after the signal).
    stack, job, said = interrupted_mid_wait(engine, signal.SIGINT)

    assert "^C received; cancelling" in said and "^C received; terminating" not in said
    assert f"Pulumi was interrupted (Ctrl-C): stopped waiting for tuning job {job}" in said
    assert engine.jobs_by_state() == {RUNNING: 1}, "the job keeps running"
    assert pending_creates(stack) == [], "the create ended with an error: nothing is pending"

    engine.emulator.admin.stick_job(job, None)
    run = stack.up()

    assert f"adopting {job}" in run.stdout
    assert stack.outputs()["job"] == job
    assert engine.jobs_by_state() == {JobState.SUCCEEDED.value: 1}


# The killed CLI abandons the inline program's coroutines in this test process; they are never awaited.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("clear_pending_creates", [False, True], ids=["cancel-up", "cancel-refresh-up"])
def test_a_killed_cli_leaves_the_job_running_and_the_next_run_adopts_it(
    engine: Engine, clear_pending_creates: bool
) -> None:
    stack, job, _ = interrupted_mid_wait(engine, signal.SIGKILL)

    assert engine.jobs_by_state() == {RUNNING: 1}
    with pytest.raises(auto.ConcurrentUpdateError, match="pulumi cancel"):
        stack.up()  # the killed CLI left its lock on the stack
    engine.emulator.admin.stick_job(job, None)
    # The README's steps: `pulumi cancel` removes the lock; clearing the pending create is optional.
    stack.stack.cancel()
    if clear_pending_creates:
        stack.refresh(clear_pending_creates=True)
    run = stack.up()

    assert f"adopting {job}" in run.stdout, run.stdout
    assert stack.outputs()["job"] == job
    assert engine.jobs_held() == 1
