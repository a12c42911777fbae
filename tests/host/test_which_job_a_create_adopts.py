"""Which job a create may adopt: only its own resource's, never the one it replaces.

Changed `triggers` or `pulumi up --replace` make a new job, never the one being replaced; two
resources with identical inputs but different names, or the same resource in two stacks, never
adopt each other's job. Each `pulumi up` is a new provider host, as with the CLI.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from support.deployment import Deployment, put_dataset, tuning_inputs
from support.provider_host import HostCallError, HostDiff
from vertex_tuning.wire import JobState

pytestmark = pytest.mark.slow


SUCCEEDED = JobState.SUCCEEDED.value


def replace(
    emulator, old_id: str, old_inputs: dict[str, Any], old_outs: dict[str, Any], news: dict[str, Any]
) -> tuple[HostDiff, str, dict[str, Any]]:
    """The engine's replacement in a new `pulumi up`: Check, Diff, Create the new one, Delete the old."""
    with Deployment(emulator) as deployment:
        return deployment.replace(old_id, old_inputs, old_outs, news)


def replaced_in_turn(emulator, *inputs_in_turn: dict[str, Any]) -> tuple[list[str], HostDiff, dict[str, Any]]:
    """Up with the first inputs, then a replacement (a new `pulumi up`) with each next one.

    Returns every job id in turn, the last replacement's diff and the last outputs."""
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(inputs_in_turn[0])
    ids = [job_id]
    for old_inputs, news in itertools.pairwise(inputs_in_turn):
        diff, job_id, outs = replace(emulator, job_id, old_inputs, outs, news)
        ids.append(job_id)
    return ids, diff, outs


def test_changed_triggers_make_a_new_job(emulator, ledger):
    put_dataset(emulator)
    inputs = tuning_inputs(triggers={"dataset_version": 1})
    news = tuning_inputs(triggers={"dataset_version": 2})
    (old_id, new_id), diff, new_outs = replaced_in_turn(emulator, inputs, news)

    assert diff.changes is True
    assert diff.replaces == ["triggers"]
    assert diff.delete_before_replace is False
    assert new_id != old_id and new_outs["state"] == SUCCEEDED
    assert emulator.admin.stats()["jobsByState"] == {SUCCEEDED: 2}
    ledger.settle(emulator, jobs=2)
    assert emulator.get_job(old_id)["state"] == SUCCEEDED, "the old model is left alone"


def test_replace_with_identical_inputs_makes_a_new_job(emulator, ledger):
    put_dataset(emulator)
    inputs = tuning_inputs()
    # `pulumi up --replace`: nothing changed, yet the engine replaces; the job of the resource
    # being replaced must not be adopted (the replacement's label also hashes the job it replaces).
    (old_id, new_id), diff, new_outs = replaced_in_turn(emulator, inputs, inputs)

    assert diff.changes is False  # the engine's Diff before the replacement
    assert diff.replaces == []
    assert new_id != old_id and new_outs["state"] == SUCCEEDED
    assert emulator.admin.stats()["jobsByState"] == {SUCCEEDED: 2}
    assert emulator.admin.request_count("tuningJobs.create") == 2
    ledger.settle(emulator, jobs=2)


def test_identical_inputs_under_two_resource_names_make_two_jobs(emulator, ledger):
    put_dataset(emulator)
    with Deployment(emulator) as deployment:
        creating = [deployment.up_in_background(tuning_inputs(name)) for name in ("bot-a", "bot-b")]
        (id_a, outs_a), (id_b, outs_b) = (call.join() for call in creating)

    assert id_a != id_b
    assert outs_a["state"] == outs_b["state"] == SUCCEEDED
    assert outs_a["tuned_model_endpoint_name"] != outs_b["tuned_model_endpoint_name"]
    ledger.settle(emulator, jobs=2)


def test_same_resource_in_two_stacks_makes_two_jobs(emulator, ledger):
    put_dataset(emulator)
    with Deployment(emulator) as staging:
        staging_id, _ = staging.up(tuning_inputs(stack="staging"))
    with Deployment(emulator) as production:
        production_id, outs = production.up(tuning_inputs(stack="production"))
        production.wait_for_line(f"{production_id} is SUCCEEDED")
        stderr = production.stderr_text()

    assert production_id != staging_id and outs["state"] == SUCCEEDED
    assert "adopting" not in stderr
    ledger.settle(emulator, jobs=2)


def test_rerun_of_the_same_resource_still_adopts(emulator, ledger):
    """The control: same stack, same name, same inputs and no resource being replaced adopts."""
    put_dataset(emulator)
    with Deployment(emulator) as first:
        first_id, _ = first.up(tuning_inputs())
    with Deployment(emulator) as again:
        again_id, _ = again.up(tuning_inputs())
    assert again_id == first_id
    ledger.settle(emulator, jobs=1)


def test_second_replace_makes_a_new_job_not_the_first_one(emulator, ledger):
    """`pulumi up --replace` twice: the job the first replace retired must not come back."""
    put_dataset(emulator)
    inputs = tuning_inputs()
    ids, _, third_outs = replaced_in_turn(emulator, inputs, inputs, inputs)

    assert len(set(ids)) == 3
    assert third_outs["state"] == SUCCEEDED
    ledger.settle(emulator, jobs=3)


def test_triggers_changed_back_make_a_new_job(emulator, ledger):
    """Triggers v1, then v2, then v1 again: each change tunes anew, even back to an old value."""
    put_dataset(emulator)
    ids, diff, _ = replaced_in_turn(
        emulator, tuning_inputs(triggers=1), tuning_inputs(triggers=2), tuning_inputs(triggers=1)
    )

    assert diff.replaces == ["triggers"]
    assert len(set(ids)) == 3
    ledger.settle(emulator, jobs=3)


def test_interrupted_replacement_adopts_its_own_new_job(emulator, ledger):
    """A replacement killed mid-wait: the next run adopts the job it started, not a third one."""
    put_dataset(emulator)
    inputs = tuning_inputs(triggers=1)
    with Deployment(emulator) as deployment:
        old_id, old_outs = deployment.up(inputs)
    news = tuning_inputs(triggers=2)

    emulator.admin.stick_next_job(JobState.RUNNING)
    interrupted = Deployment(emulator)
    checked = interrupted.check(news)
    interrupted.diff(old_id, old_outs, checked)
    waiting = interrupted.create_in_background(checked)
    new_job = interrupted.wait_for_line("is RUNNING").split()[1]
    interrupted.kill()
    with pytest.raises(HostCallError):
        waiting.join()

    emulator.admin.stick_job(new_job, None)
    _, new_id, new_outs = replace(emulator, old_id, inputs, old_outs, news)
    assert new_id == new_job and new_outs["state"] == SUCCEEDED
    ledger.settle(emulator, jobs=2)
