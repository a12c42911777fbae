"""An interrupted `pulumi up` while a job waits: the job keeps running, the next run adopts it.

The engine's Ctrl-C: a first ^C asks the engine to cancel, and it waits for operations in flight (a
create waiting for its job); a second ^C terminates it, leaving a pending create in the state. A
killed CLI leaves the same. Either way the README's steps must end with the one job adopted.
"""

from __future__ import annotations

import signal

import pytest
from pulumi import automation as auto

from support.engine import Engine, interrupted_mid_wait, pending_creates
from vertex_tuning.wire import JobState

RUNNING = JobState.RUNNING.value


def test_a_first_ctrl_c_lets_the_create_wait_and_a_second_leaves_the_job_running(engine: Engine) -> None:
    stack, job, said = interrupted_mid_wait(engine, signal.SIGINT, signal.SIGINT)

    assert "^C received; cancelling" in said and "^C received; terminating" in said
    assert engine.jobs_by_state() == {RUNNING: 1}, "the job keeps running"
    assert [urn.rsplit("::", 1)[-1] for urn in pending_creates(stack)] == ["bot"]

    # The README's steps: clear the pending create, then `pulumi up` adopts the running job.
    stack.refresh(clear_pending_creates=True)
    assert pending_creates(stack) == []
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
