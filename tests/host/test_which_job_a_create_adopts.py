"""Which job a create may adopt: only its own resource's, never the one it replaces.

Changed `triggers` or `pulumi up --replace` make a new job, never the one being replaced; two
resources with identical inputs but different names, or the same resource in two stacks, never
adopt each other's job. Each `pulumi up` is a new provider host, as with the CLI.
"""

from __future__ import annotations

from typing import Any

import pytest

from support.deployment import Deployment, put_dataset, tuning_inputs
from support.provider_host import HostCallError
from vertex_tuning.wire import JobState

pytestmark = pytest.mark.slow


def replace(
    emulator, old_id: str, old_inputs: dict[str, Any], old_outs: dict[str, Any], news: dict[str, Any]
) -> tuple[list[str], str, dict[str, Any]]:
    """The engine's replacement in a new `pulumi up`: Check, Diff, Create the new one, Delete the old."""
    with Deployment(emulator) as deployment:
        checked, failures = deployment.host.check(old_inputs, news)
        assert not failures, failures
        diff = deployment.host.diff(old_id, old_outs, checked)
        new_id, new_outs = deployment.host.create(checked)
        deployment.host.delete(old_id, old_outs)
    return diff.replaces, new_id, new_outs


def test_changed_triggers_make_a_new_job(emulator, ledger):
    put_dataset(emulator)
    inputs = tuning_inputs(triggers={"dataset_version": 1})
    with Deployment(emulator) as deployment:
        old_id, old_outs = deployment.up(inputs)

    news = tuning_inputs(triggers={"dataset_version": 2})
    replaces, new_id, new_outs = replace(emulator, old_id, inputs, old_outs, news)

    assert replaces == ["triggers"]
    assert new_id != old_id and new_outs["state"] == "JOB_STATE_SUCCEEDED"
    ledger.settle(emulator, jobs=2)
    assert emulator.get_job(old_id)["state"] == "JOB_STATE_SUCCEEDED", "the old model is left alone"


def test_replace_with_identical_inputs_makes_a_new_job(emulator, ledger):
    put_dataset(emulator)
    inputs = tuning_inputs()
    with Deployment(emulator) as deployment:
        old_id, old_outs = deployment.up(inputs)

    # `pulumi up --replace`: nothing changed, yet the engine replaces; the job of the resource
    # being replaced must not be adopted (the replacement's label also hashes the job it replaces).
    replaces, new_id, new_outs = replace(emulator, old_id, inputs, old_outs, inputs)

    assert replaces == []
    assert new_id != old_id and new_outs["state"] == "JOB_STATE_SUCCEEDED"
    assert emulator.admin.request_count("tuningJobs.create") == 2
    ledger.settle(emulator, jobs=2)


def test_identical_inputs_under_two_resource_names_make_two_jobs(emulator, ledger):
    put_dataset(emulator)
    with Deployment(emulator) as deployment:
        creating = [deployment.up_in_background(tuning_inputs(name)) for name in ("bot-a", "bot-b")]
        (id_a, outs_a), (id_b, outs_b) = (call.join() for call in creating)

    assert id_a != id_b
    assert outs_a["state"] == outs_b["state"] == "JOB_STATE_SUCCEEDED"
    assert outs_a["tuned_model_endpoint_name"] != outs_b["tuned_model_endpoint_name"]
    ledger.settle(emulator, jobs=2)


def test_same_resource_in_two_stacks_makes_two_jobs(emulator, ledger):
    put_dataset(emulator)
    with Deployment(emulator) as staging:
        staging_id, _ = staging.up(tuning_inputs(stack="staging"))
    with Deployment(emulator) as production:
        production_id, outs = production.up(tuning_inputs(stack="production"))
        production.wait_for_line(f"{production_id} is SUCCEEDED")
        stderr = production.host.stderr_text()

    assert production_id != staging_id and outs["state"] == "JOB_STATE_SUCCEEDED"
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
    with Deployment(emulator) as deployment:
        first_id, first_outs = deployment.up(inputs)
    _, second_id, second_outs = replace(emulator, first_id, inputs, first_outs, inputs)
    _, third_id, third_outs = replace(emulator, second_id, inputs, second_outs, inputs)

    assert len({first_id, second_id, third_id}) == 3
    assert third_outs["state"] == "JOB_STATE_SUCCEEDED"
    ledger.settle(emulator, jobs=3)


def test_triggers_changed_back_make_a_new_job(emulator, ledger):
    """Triggers v1, then v2, then v1 again: each change tunes anew, even back to an old value."""
    put_dataset(emulator)
    first_inputs = tuning_inputs(triggers=1)
    with Deployment(emulator) as deployment:
        first_id, first_outs = deployment.up(first_inputs)
    second_inputs = tuning_inputs(triggers=2)
    _, second_id, second_outs = replace(emulator, first_id, first_inputs, first_outs, second_inputs)
    replaces, third_id, _ = replace(emulator, second_id, second_inputs, second_outs, first_inputs)

    assert replaces == ["triggers"]
    assert len({first_id, second_id, third_id}) == 3
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
    interrupted.host.diff(old_id, old_outs, checked)
    waiting = interrupted.up_in_background(news)
    new_job = interrupted.wait_for_line("is RUNNING").split()[1]
    interrupted.host.kill()
    with pytest.raises(HostCallError):
        waiting.join()

    emulator.admin.stick_job(new_job, None)
    _, new_id, new_outs = replace(emulator, old_id, inputs, old_outs, news)
    assert new_id == new_job and new_outs["state"] == "JOB_STATE_SUCCEEDED"
    ledger.settle(emulator, jobs=2)
