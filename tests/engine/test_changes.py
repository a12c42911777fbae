"""What the engine does with a changed program: replacements, forced retuning, in-place updates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.emulator import sample_dataset
from support.engine import DATASET, Engine, EngineStack, Run, one_job
from vertex_tuning.wire import JobState

SUCCEEDED = JobState.SUCCEEDED.value


@pytest.fixture
def tuned(engine: Engine) -> Iterator[tuple[Engine, EngineStack]]:
    """A stack whose job `bot` has been tuned once."""
    engine.emulator.write_object(DATASET, sample_dataset(10))
    stack = engine.stack(one_job(epoch_count=2))
    stack.up()
    yield engine, stack


def job_steps(run: Run) -> list[tuple[str, str]]:
    return [step for step in run.operations() if step[1] == "bot"]


def test_an_input_change_replaces_the_job_creating_the_new_one_before_deleting_the_old(
    tuned: tuple[Engine, EngineStack],
) -> None:
    engine, stack = tuned
    old_job = stack.outputs()["job"]

    stack.stack.workspace.program = one_job(epoch_count=3)
    run = stack.up()

    assert job_steps(run) == [("create-replacement", "bot"), ("replace", "bot"), ("delete-replaced", "bot")]
    new_job = stack.outputs()["job"]
    assert new_job != old_job
    assert engine.jobs_by_state() == {SUCCEEDED: 2}, "the old job succeeded; its tuned model remains"
    # The replacement's create (which returns only once its job SUCCEEDED) ended before the delete began.
    created_at = next(
        index
        for index, event in enumerate(run.events)
        if event.res_outputs_event and event.res_outputs_event.metadata.op.value == "create-replacement"
    )
    delete_began_at = next(
        index
        for index, event in enumerate(run.events)
        if event.resource_pre_event and event.resource_pre_event.metadata.op.value == "delete-replaced"
    )
    assert created_at < delete_began_at
    assert engine.emulator.get_job(new_job)["state"] == SUCCEEDED


def test_a_changed_trigger_tunes_a_new_job_with_the_same_inputs(tuned: tuple[Engine, EngineStack]) -> None:
    engine, stack = tuned
    old_job = stack.outputs()["job"]

    stack.stack.workspace.program = one_job(epoch_count=2, triggers={"dataset_version": 2})
    run = stack.up()

    assert job_steps(run) == [("create-replacement", "bot"), ("replace", "bot"), ("delete-replaced", "bot")]
    assert stack.outputs()["job"] != old_job
    assert engine.jobs_by_state() == {SUCCEEDED: 2}


def test_replace_of_unchanged_inputs_keeps_the_job_since_the_engine_gives_no_sign_of_it(
    tuned: tuple[Engine, EngineStack],
) -> None:
    """For a targeted replace the engine calls Check without old inputs and never Diff: the create
    looks exactly like the retry of an interrupted first run, so it adopts the job (decision 2).
    The README says to change `triggers` to retune with the same inputs."""
    engine, stack = tuned
    job = stack.outputs()["job"]
    urn = next(r["urn"] for r in stack.tuning_jobs_in_state())

    run = stack.up(replace=[urn])

    assert ("create-replacement", "bot") in job_steps(run)
    assert f"adopting {job}" in run.stdout
    assert stack.outputs()["job"] == job
    assert engine.jobs_held() == 1, "no second job was billed"


def test_a_new_wait_timeout_is_an_update_in_place_that_tunes_nothing(
    tuned: tuple[Engine, EngineStack],
) -> None:
    engine, stack = tuned
    job = stack.outputs()["job"]

    stack.stack.workspace.program = one_job(epoch_count=2, wait_timeout_minutes=90)
    run = stack.up()

    assert job_steps(run) == [("update", "bot")]
    assert stack.outputs()["job"] == job
    assert engine.jobs_held() == 1
    [resource] = stack.tuning_jobs_in_state()
    assert resource["outputs"]["wait_timeout_minutes"] == 90
