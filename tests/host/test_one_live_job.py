"""Exactly one billed job per resource: late commits, racing runs, copied labels, clocks, upgrades.

Each scenario ends with one job that SUCCEEDED per resource; any second job the service made
(a create committed after the client gave up, a racing host's) is cancelled while it waits, and
every host's resource records the same job. The ledger records how long each duplicate lived.
"""

from __future__ import annotations

import math
import time
from typing import Any

import pytest

from support.deployment import (
    TRAINING_URI,
    Deployment,
    cancelled_jobs,
    put_dataset,
    tuning_inputs,
    wait_until,
)
from support.first_release import first_release_label
from support.provider_host import HostCallError
from vertex_tuning import spec
from vertex_tuning.spec import ID_LABEL
from vertex_tuning.wire import JobState

pytestmark = pytest.mark.slow

SUCCEEDED, CANCELLED = "JOB_STATE_SUCCEEDED", "JOB_STATE_CANCELLED"
# Long enough that a duplicate is seen while the resource still waits on its own job.
WAITED_JOB_SECONDS = 20.0


def settle_one_per_resource(
    emulator, ledger, *, resources: int = 1, created: int, scenario: str | None = None
):
    """The scenario's end: `created` jobs, one SUCCEEDED per resource, the rest cancelled unrun."""
    duplicates = cancelled_jobs(emulator)
    cost = ledger.settle(
        emulator, jobs=created, scenario=scenario, duplicate_seconds=[job.lived for job in duplicates]
    )
    assert cost.jobs_by_state.get(SUCCEEDED) == resources, cost.jobs_by_state
    assert cost.jobs_by_state.get(CANCELLED, 0) == created - resources, cost.jobs_by_state
    assert not [job.name for job in duplicates if job.ran], "a duplicate reached RUNNING before its cancel"
    return duplicates


# --- late commits ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [504, 500, 503])
def test_a_create_committed_10_s_after_its_error_answer_leaves_one_job(emulator, ledger, status):
    """504/500: looked up for 7.5 s, found nothing, sent again. 503: the client resent it at once.
    Either way the first create commits 10 s later, while the resource waits on the second."""
    put_dataset(emulator)
    emulator.admin.set_job_seconds(WAITED_JOB_SECONDS)
    emulator.admin.commit_next_create_late(10.0, status=status)
    ledger.start(emulator)
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(tuning_inputs())
        stderr = deployment.stderr_text()

    assert outs["state"] == SUCCEEDED
    (late,) = settle_one_per_resource(emulator, ledger, created=2, scenario=f"commit_10s_after_{status}")
    assert late.name != job_id
    assert f"cancelled {late.name}" in stderr and f"{job_id} came first" in stderr


def test_two_creates_each_answered_504_and_committed_20_s_later_leave_one_job(emulator, ledger):
    """No third create: the provider keeps looking, adopts the first late job, cancels the second."""
    put_dataset(emulator)
    emulator.admin.set_job_seconds(WAITED_JOB_SECONDS)
    emulator.admin.add_fault("tuningJobs.create", "commit_late", status=504, seconds=20.0, times=2)
    ledger.start(emulator)
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(tuning_inputs())
        deployment.wait_for_line("looking for a late commit")

    assert outs["state"] == SUCCEEDED
    assert emulator.admin.request_count("tuningJobs.create") == 2
    (late,) = settle_one_per_resource(emulator, ledger, created=2)
    assert late.name != job_id


def test_a_create_committed_after_the_client_timed_out_leaves_one_job(emulator, ledger):
    """The client gives up after its request timeout; the service commits the job 9 s after that.

    The request timeout is 2 s here so the test is short; everything else is the default."""
    put_dataset(emulator)
    emulator.admin.set_job_seconds(WAITED_JOB_SECONDS)
    emulator.admin.add_latency("tuningJobs.create", 3.0, times=1)  # past the 2 s timeout
    emulator.admin.commit_next_create_late(8.0)  # and committed 8 s after that
    ledger.start(emulator)
    with Deployment(emulator, config={"vertex-tuning:requestTimeout": "2"}) as deployment:
        job_id, outs = deployment.up(tuning_inputs())
        deployment.wait_for_line("ReadTimeout")

    assert outs["state"] == SUCCEEDED
    (late,) = settle_one_per_resource(emulator, ledger, created=2)
    assert late.name != job_id


@pytest.mark.parametrize(
    ("answer", "body"),
    [
        ("html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        ("empty_object", "{}"),
        ("no_name", '{"state": "JOB_STATE_PENDING"}'),
        ("truncated", '{"name": "projects/123/locations/us-central1/tuningJ'),
    ],
)
def test_an_unusable_200_to_a_create_is_looked_up_and_adopted(emulator, ledger, answer, body):
    put_dataset(emulator)
    emulator.admin.garble_next_create(body)
    ledger.start(emulator)
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(tuning_inputs())
        lost = deployment.wait_for_line("the answer to the create was lost")
        deployment.wait_for_line(f"found {job_id}: the create had gone through")

    assert outs["state"] == SUCCEEDED and "None" not in lost
    assert emulator.admin.request_count("tuningJobs.create") == 1
    ledger.settle(emulator, jobs=1, scenario=f"unusable_200_to_create_{answer}")


# --- racing runs ----------------------------------------------------------------------------


def test_three_rounds_of_two_hosts_racing_end_with_one_job_each_recorded_by_both(emulator, ledger):
    put_dataset(emulator)
    emulator.admin.set_job_seconds(10.0)
    ledger.start(emulator)
    for round_ in range(3):
        inputs = tuning_inputs(f"racer-{round_}")
        # Both creates are held 3 s before they commit, so both hosts' lookups find nothing.
        emulator.admin.add_latency("tuningJobs.create", 3.0, times=2)
        first, second = Deployment(emulator), Deployment(emulator)
        try:
            racing = [first.up_in_background(inputs), second.up_in_background(inputs)]
            (first_id, first_outs), (second_id, second_outs) = (call.join(90) for call in racing)
        finally:
            first.close()
            second.close()
        assert first_id == second_id, "both hosts record the same job"
        assert first_outs["state"] == second_outs["state"] == SUCCEEDED
    settle_one_per_resource(emulator, ledger, resources=3, created=6)


def test_an_adopt_racing_two_creates_ends_with_one_job_all_hosts_record(emulator, ledger):
    """Host A's create is slow to commit; B creates meanwhile; C arrives when both exist and adopts."""
    put_dataset(emulator)
    emulator.admin.set_job_seconds(WAITED_JOB_SECONDS)
    emulator.admin.add_latency("tuningJobs.create", 2.0, times=1)
    ledger.start(emulator)
    inputs = tuning_inputs()
    hosts = [Deployment(emulator) for _ in range(3)]
    try:
        calls = [hosts[0].up_in_background(inputs)]
        wait_until(lambda: emulator.admin.request_count("tuningJobs.create") == 1, what="A's create")
        calls.append(hosts[1].up_in_background(inputs))
        wait_until(lambda: emulator.admin.stats()["jobs"] == 2, what="both jobs committed")
        calls.append(hosts[2].up_in_background(inputs))
        ids = {call.join(90)[0] for call in calls}
        adopted = hosts[2].stderr_text()
    finally:
        for host in hosts:
            host.close()

    assert len(ids) == 1, f"every host records the same job, got {ids}"
    assert f"adopting {ids.pop()}" in adopted
    settle_one_per_resource(emulator, ledger, created=2)


# --- NaN, organizations, copied labels ------------------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "minus_inf"])
def test_nan_and_infinities_in_triggers_are_a_check_failure_naming_triggers(emulator, ledger, value):
    ledger.start(emulator)
    with Deployment(emulator) as deployment:
        for _ in range(3):
            failures = deployment.check_failures(tuning_inputs(triggers={"threshold": [1, value]}))
            assert [name for name, _ in failures] == ["triggers"]
            assert "NaN or an infinity" in failures[0][1]
    ledger.settle(emulator, jobs=0, scenario=f"triggers_holding_{value}")


def test_three_runs_of_an_unchanged_program_with_float_triggers_make_one_job(emulator, ledger):
    put_dataset(emulator)
    inputs = tuning_inputs(triggers={"learning_rate": 0.1, "versions": [1.0, 2.5]})
    ledger.start(emulator)
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(inputs)
    for _ in range(2):
        with Deployment(emulator) as again:
            diff = again.diff(job_id, outs, again.check(inputs, olds=inputs))
            assert diff.changes is False and diff.replaces == []
    ledger.settle(emulator, jobs=1)


def test_one_stack_name_in_two_organizations_makes_two_jobs(emulator, ledger):
    """alice/reliability/dev and bob/reliability/dev in one GCP project never share a job."""
    put_dataset(emulator)
    ledger.start(emulator)
    ids = []
    for organization in ("alice", "bob"):
        with Deployment(emulator) as deployment:
            ids.append(deployment.up(tuning_inputs(organization=organization))[0])
            assert "adopting" not in deployment.stderr_text()
    assert ids[0] != ids[1]
    cost = ledger.settle(emulator, jobs=2)
    assert cost.jobs_by_state == {SUCCEEDED: 2}


def identity_label_of(deployment: Deployment, inputs: dict[str, Any]) -> str:
    return spec.identity_label(spec.parse(deployment.check(inputs)))


@pytest.mark.parametrize(
    ("copied", "differs"),
    [
        ({"hyperParameters": {"epochCount": "7"}}, "epoch_count"),
        ({"trainingDatasetUri": "gs://reliability/other.jsonl"}, "training_dataset_uri"),
    ],
    ids=["other_epochs", "other_dataset"],
)
def test_a_job_with_a_copied_label_and_another_spec_is_never_adopted(emulator, ledger, copied, differs):
    put_dataset(emulator)
    put_dataset(emulator, "gs://reliability/other.jsonl")
    inputs = tuning_inputs(epoch_count=2)
    with Deployment(emulator) as deployment:
        label = identity_label_of(deployment, inputs)
        tuning = {"trainingDatasetUri": TRAINING_URI, "hyperParameters": {"epochCount": "2"}, **copied}
        impostor = emulator.create_job(TRAINING_URI, labels={ID_LABEL: label}, supervisedTuningSpec=tuning)
        ledger.start(emulator)
        job_id, outs = deployment.up(inputs)
        refusal = deployment.wait_for_line(f"not adopting {impostor['name']}")

    assert job_id != impostor["name"] and outs["state"] == SUCCEEDED
    assert f"its {differs} is" in refusal
    cost = ledger.settle(emulator, jobs=2, scenario=f"copied_label_{differs}")
    assert cost.jobs_by_state == {SUCCEEDED: 2}, "the other job is left alone, never cancelled"


# --- generations and the service's clock ----------------------------------------------------


def test_a_clock_stepping_back_never_makes_a_third_job_for_an_interrupted_replacement(emulator, ledger):
    """The replacement's interrupted job is stamped an hour BEFORE the job it replaces."""
    put_dataset(emulator)
    inputs, news = tuning_inputs(triggers=1), tuning_inputs(triggers=2)
    with Deployment(emulator) as deployment:
        old_id, old_outs = deployment.up(inputs)

    service = emulator.server.emulator.jobs
    real_create = service.create

    def create_an_hour_early(*args, **kwargs):
        service.clock = lambda: time.time() - 3600
        try:
            return real_create(*args, **kwargs)
        finally:
            service.clock = time.time

    service.create = create_an_hour_early
    emulator.admin.stick_next_job(JobState.RUNNING)
    interrupted = Deployment(emulator)
    interrupted.diff(old_id, old_outs, interrupted.check(news))
    waiting = interrupted.up_in_background(news)
    new_job = interrupted.wait_for_line("is RUNNING").split()[1]
    interrupted.kill()
    with pytest.raises(HostCallError):
        waiting.join()
    service.create = real_create
    assert emulator.get_job(new_job)["createTime"] < old_outs["create_time"]

    emulator.admin.stick_job(new_job, None)
    ledger.start(emulator)
    with Deployment(emulator) as again:
        _, new_id, new_outs = again.replace(old_id, inputs, old_outs, news)
    assert new_id == new_job and new_outs["state"] == SUCCEEDED
    cost = ledger.settle(emulator, jobs=2)
    assert cost.jobs_by_state == {SUCCEEDED: 2}


# --- the upgrade from the first identity scheme ---------------------------------------------


def test_a_resource_made_before_the_upgrade_shows_no_diff_after_it(emulator, ledger):
    put_dataset(emulator)
    before = tuning_inputs(organization=None)  # what the first release's TuningJob sent
    with Deployment(emulator) as deployment:
        job_id, outs = deployment.up(before)
    ledger.start(emulator)
    with Deployment(emulator) as upgraded:
        diff = upgraded.diff(job_id, outs, upgraded.check(tuning_inputs(), olds=before))
    assert diff.changes is False and diff.replaces == []
    ledger.settle(emulator, jobs=1)


def test_a_job_the_first_release_left_running_is_adopted_after_the_upgrade(emulator, ledger):
    """`pulumi up` was interrupted on the first release; the next one runs the upgraded package."""
    put_dataset(emulator)
    with Deployment(emulator) as deployment:
        checked_before = deployment.check(tuning_inputs(organization=None))
    body = spec.to_wire(spec.parse(checked_before), label=first_release_label(checked_before))
    emulator.admin.stick_next_job(JobState.RUNNING)
    response = emulator.http.post(f"{emulator.parent()}/tuningJobs", json=body.to_json_dict())
    left_running = response.json()["name"]
    emulator.wait_for_state(left_running, "JOB_STATE_RUNNING")

    ledger.start(emulator)
    with Deployment(emulator) as upgraded:
        waiting = upgraded.up_in_background(tuning_inputs())
        upgraded.wait_for_line(f"adopting {left_running}")
        emulator.admin.stick_job(left_running, None)
        job_id, outs = waiting.join()
    assert job_id == left_running and outs["state"] == SUCCEEDED
    cost = ledger.settle(emulator, jobs=1)
    assert "tuningJobs.create" not in cost.calls_by_route, "the upgraded provider created nothing"


# --- stack config ---------------------------------------------------------------------------

BAD_CONFIG = {
    "vertex-tuning:requestTimeout": "soon",
    "vertex-tuning:apiVersion": "v3",
    "vertex-tuning:impersonateServiceAccount": "nobody",
    "vertex-tuning:emulatorHost": "http://localhost:8765/",
    "vertex-tuning:maxConcurrentOperations": "0",
    "vertex-tuning:stagingUri": "s3://bucket/prefix",
}


def test_bad_stack_config_is_reported_at_check_under_each_key(emulator, ledger):
    """Even when the resource names its own project and location, which hides no other setting."""
    ledger.start(emulator)
    with Deployment(emulator, config=BAD_CONFIG) as deployment:
        failures = deployment.check_failures(tuning_inputs())
    assert sorted(name for name, _ in failures) == sorted(BAD_CONFIG)
    assert all(reason for _, reason in failures)
    ledger.settle(emulator, jobs=0)
