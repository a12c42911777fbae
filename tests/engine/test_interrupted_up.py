"""An interrupted `pulumi up` while a job waits: the job keeps running, the next run adopts it.

The engine's Ctrl-C: a first ^C asks the engine to cancel, and it waits for operations in flight (a
create waiting for its job); a second ^C terminates it, leaving a pending create in the state. A
killed CLI leaves the same. Either way the README's steps must end with the one job adopted.
"""

from __future__ import annotations

import signal
import time

import pytest
from pulumi import automation as auto

from support.emulator import sample_dataset
from support.engine import DATASET, Engine, EngineStack, in_background, one_job
from vertex_tuning.wire import JobState

RUNNING = JobState.RUNNING.value


def running_job(engine: Engine, timeout: float = 30.0) -> str:
    """The name of the one RUNNING job, once there is one."""
    deadline = time.monotonic() + timeout
    while engine.jobs_by_state().get(RUNNING, 0) < 1:
        assert time.monotonic() < deadline, f"no running job: {engine.jobs_by_state()}"
        time.sleep(0.1)
    jobs = engine.emulator.http.get(f"{engine.emulator.parent()}/tuningJobs").json()["tuningJobs"]
    return str(jobs[0]["name"])


def interrupted_mid_wait(engine: Engine, *signals: signal.Signals) -> tuple[EngineStack, str, str]:
    """`pulumi up` of one job held RUNNING, sent `signals` mid-wait; the stack, the job and the output."""
    engine.emulator.write_object(DATASET, sample_dataset(10))
    engine.emulator.admin.stick_next_job(JobState.RUNNING)
    stack = engine.stack(one_job())
    background = in_background(stack.up)
    job = running_job(engine)
    for signum in signals:
        background.signal_cli(signum)
        time.sleep(2)
    outcome = background.join(60)
    assert isinstance(outcome, auto.CommandError), outcome
    return stack, job, str(outcome)


def pending_creates(stack: EngineStack) -> list[str]:
    return [op["resource"]["urn"] for op in stack.state().get("pending_operations", [])]


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
