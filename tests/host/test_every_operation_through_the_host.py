"""Every operation through the REAL provider host against the emulator, as the engine calls them.

The host is `python -m pulumi.dynamic` driven over gRPC as the engine drives it (Configure, Check,
Diff, Create, Read, Update, Delete with the pickled provider), so serialization, floats, unknowns,
config and error reporting are the real ones. Project and region come from the stack config here,
as in a program that sets neither; the replacement scenarios are in `test_which_job_a_create_adopts`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import dill
import httpx
import pytest

from support.deployment import Deployment
from support.emulator import PROJECT, EmulatorProcess, InProcessEmulator, RunningEmulator, sample_dataset
from support.provider_host import UNKNOWN
from vertex_tuning.provider import TuningJobProvider
from vertex_tuning.wire import JobState

pytestmark = pytest.mark.slow

SUCCEEDED = JobState.SUCCEEDED.value
IDENTITY = {"pulumi_stack": "dev", "pulumi_project": "tuning", "resource_name": "support-bot"}
CONFIG = {"vertex-tuning:project": PROJECT, "gcp:region": "us-central1"}


@pytest.fixture
def deployment(emulator: InProcessEmulator) -> Iterator[Deployment]:
    with Deployment(emulator, config=CONFIG) as started:
        yield started


def program_inputs(emulator: RunningEmulator, name: str = "train", **extra: Any) -> dict[str, Any]:
    """What the program gives a TuningJob (before check): project and location come from config."""
    uri = f"gs://acme-ml/{name}.jsonl"
    emulator.write_object(uri, sample_dataset(12))
    return {"base_model": "gemini-3.1-flash-lite", "training_dataset_uri": uri, **IDENTITY, **extra}


def jobs_by_state(emulator: InProcessEmulator) -> dict[str, int]:
    return dict(emulator.admin.stats()["jobsByState"])


def other_blob(deployment: Deployment) -> str:
    """The provider pickled differently, as a newer dill, Pulumi or package version would."""
    blob = base64.b64encode(dill.dumps(TuningJobProvider(), protocol=2)).decode()
    assert blob != deployment.host.provider_blob
    return blob


def test_create_waits_for_success_and_returns_the_endpoint(
    deployment: Deployment, emulator: InProcessEmulator
) -> None:
    inputs = deployment.check(program_inputs(emulator, validation_dataset_uri=None, epoch_count=2.0))
    assert inputs["project"] == PROJECT and inputs["location"] == "us-central1"
    assert inputs["epoch_count"] == 2

    job_id, outs = deployment.create(inputs)

    assert outs["job_name"] == job_id
    assert outs["state"] == SUCCEEDED
    assert "/endpoints/" in outs["tuned_model_endpoint_name"]
    assert outs["tuned_model_name"].endswith("@1")
    assert outs["hyper_parameters"]["epoch_count"] == 2
    assert outs["training_metrics"]["train_total_loss"] > 0
    assert outs["validation_metrics"] == {}
    assert outs["tuning_data_stats"]["tuning_dataset_example_count"] == 12
    assert outs["console_url"].startswith("https://console.cloud.google.com/")
    assert outs["training_dataset_uri"] == inputs["training_dataset_uri"]  # inputs kept for diff
    assert emulator.get_job(job_id)["state"] == SUCCEEDED
    assert jobs_by_state(emulator) == {SUCCEEDED: 1}
    progress = [line for line in deployment.stderr_lines if job_id in line]
    assert "console.cloud.google.com" in progress[0]
    assert [state for state in ("PENDING", "RUNNING", "SUCCEEDED") if any(state in p for p in progress)] == [
        "PENDING",
        "RUNNING",
        "SUCCEEDED",
    ]


def test_preview_with_unknown_values_passes_them_through(
    deployment: Deployment, emulator: InProcessEmulator
) -> None:
    news = program_inputs(emulator, base_model=UNKNOWN, labels={"team": UNKNOWN}, adapter_size=32)
    inputs = deployment.check(news)
    assert inputs["base_model"] == UNKNOWN
    assert inputs["labels"] == {"team": UNKNOWN}
    assert emulator.admin.stats()["requests"] == {}  # check never reaches the service


def test_check_reports_every_problem_by_input_name(
    deployment: Deployment, emulator: InProcessEmulator
) -> None:
    news = program_inputs(emulator, adapter_size=32, labels={"Team": "x"}, training_dataset_uri="train.jsonl")
    failures = deployment.check_failures(news)
    assert {name for name, _ in failures} == {"adapter_size", "labels", "training_dataset_uri"}


def test_no_op_diff_after_a_package_upgrade(deployment: Deployment, emulator: InProcessEmulator) -> None:
    inputs = deployment.check(program_inputs(emulator, labels={"a": "1", "b": "2"}, adapter_size="FOUR"))
    job_id, outs = deployment.create(inputs)

    # Next `pulumi up`: a new provider blob, labels in another order, the adapter spelled as a number.
    news = program_inputs(emulator, labels={"b": "2", "a": "1"}, adapter_size=4)
    news_checked = deployment.check({**news, "__provider": other_blob(deployment)}, olds=inputs)
    diff = deployment.diff(job_id, outs, news_checked)

    assert diff.changes is False
    assert diff.replaces == []


def test_renamed_stack_is_no_change(deployment: Deployment, emulator: InProcessEmulator) -> None:
    job_id, outs = deployment.up(program_inputs(emulator))
    renamed = deployment.check({**program_inputs(emulator), "pulumi_stack": "renamed"})
    assert deployment.diff(job_id, outs, renamed).changes is False


def test_new_wait_timeout_is_an_in_place_update(deployment: Deployment, emulator: InProcessEmulator) -> None:
    job_id, outs = deployment.up(program_inputs(emulator))
    news = deployment.check(program_inputs(emulator, wait_timeout_minutes=30))

    diff = deployment.diff(job_id, outs, news)
    assert (diff.changes, diff.replaces) == (True, [])

    updated = deployment.update(job_id, outs, news)
    assert updated["wait_timeout_minutes"] == 30
    assert updated["tuned_model_endpoint_name"] == outs["tuned_model_endpoint_name"]
    assert emulator.admin.stats()["jobs"] == 1


def test_create_after_an_interrupted_run_adopts_the_job(emulator: InProcessEmulator) -> None:
    """A new host process (the last one was killed) with the same inputs: no old resource, so adopt."""
    config = {"vertex-tuning:project": PROJECT}
    with Deployment(emulator, config=config) as first:
        inputs = first.check(program_inputs(emulator))
        job_id, _ = first.create(inputs)
        first.kill()

    with Deployment(emulator, config=config) as second:
        adopted_id, outs = second.create(inputs)

        assert adopted_id == job_id
        assert outs["state"] == SUCCEEDED
        assert emulator.admin.stats()["jobs"] == 1
        assert any("adopting" in line for line in second.stderr_lines)


def test_two_resources_with_identical_inputs_get_their_own_jobs(
    deployment: Deployment, emulator: InProcessEmulator
) -> None:
    first_id, _ = deployment.up(program_inputs(emulator))
    second_id, _ = deployment.up({**program_inputs(emulator), "resource_name": "other-bot"})
    assert first_id != second_id
    assert emulator.admin.stats()["jobs"] == 2


def test_a_failed_dataset_gives_a_clear_error(deployment: Deployment, emulator: InProcessEmulator) -> None:
    news = program_inputs(emulator)
    broken = '{"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}\n' * 3
    emulator.write_object(news["training_dataset_uri"], broken)

    details = deployment.failed_up(news)

    job = emulator.admin.stats()
    assert job["jobsByState"] == {JobState.FAILED.value: 1}
    assert "tuningJobs/" in details and "ended FAILED" in details
    assert "line 1" in details.lower()
    assert "pulumi up" in details


def test_refresh_follows_an_out_of_band_cancel(deployment: Deployment, emulator: InProcessEmulator) -> None:
    emulator.admin.stick_next_job(JobState.RUNNING)
    inputs = deployment.check(program_inputs(emulator))
    name = emulator.create_job(inputs["training_dataset_uri"])["name"]
    emulator.wait_for_state(name, JobState.RUNNING.value)

    # A get (`ResourceOptions(id=...)`) passes only inputs: read must still work.
    read_id, outs, read_inputs = deployment.read(name, {}, inputs)
    assert read_id == name
    assert outs["state"] == JobState.RUNNING.value
    assert read_inputs is not None and read_inputs["training_dataset_uri"] == inputs["training_dataset_uri"]

    cancel = httpx.post(f"{emulator.base_url}/v1/{name}:cancel", json={})
    assert cancel.status_code == 200
    emulator.wait_for_state(name, JobState.CANCELLED.value)

    refreshed_id, refreshed, refreshed_inputs = deployment.read(name, outs, read_inputs)
    assert refreshed_id == name
    assert refreshed["state"] == JobState.CANCELLED.value
    assert refreshed_inputs == read_inputs

    # The next `pulumi up` replaces it: a cancelled job will never give a model.
    diff = deployment.diff(name, refreshed, read_inputs)
    assert diff.changes is True and "state" in diff.replaces


def test_refresh_of_a_job_that_no_longer_exists_drops_it(
    deployment: Deployment, emulator: InProcessEmulator
) -> None:
    inputs = deployment.check(program_inputs(emulator))
    gone = f"projects/{PROJECT}/locations/us-central1/tuningJobs/999999"
    read_id, outs, _ = deployment.read(gone, {**inputs, "job_name": gone}, inputs)
    assert read_id == ""
    assert set(outs) <= {"__provider"}


def test_delete_of_a_running_job_cancels_it_and_waits(
    deployment: Deployment, emulator: InProcessEmulator
) -> None:
    inputs = deployment.check(program_inputs(emulator, wait_timeout_minutes=0.02))
    emulator.admin.stick_next_job(JobState.RUNNING)

    details = deployment.failed_create(inputs)  # the wait deadline passes: the job keeps running
    assert "keeps running" in details
    (name,) = [job["name"] for job in _list_jobs(emulator)]
    assert emulator.get_job(name)["state"] == JobState.RUNNING.value

    deployment.delete(name, {**inputs, "job_name": name})

    assert emulator.get_job(name)["state"] == JobState.CANCELLED.value
    assert emulator.admin.request_count("tuningJobs.cancel") == 1


def test_delete_of_a_succeeded_job_changes_nothing(
    deployment: Deployment, emulator: InProcessEmulator
) -> None:
    job_id, outs = deployment.up(program_inputs(emulator))

    deployment.delete(job_id, outs)

    assert emulator.get_job(job_id)["state"] == SUCCEEDED
    assert emulator.admin.request_count("tuningJobs.cancel") == 0
    endpoint = outs["tuned_model_endpoint_name"]
    assert any("remain" in line and endpoint in line for line in deployment.stderr_lines)


def test_delete_of_a_missing_job_is_fine(deployment: Deployment, emulator: InProcessEmulator) -> None:
    inputs = deployment.check(program_inputs(emulator))
    deployment.delete(f"projects/{PROJECT}/locations/us-central1/tuningJobs/424242", inputs)
    assert emulator.admin.request_count("tuningJobs.cancel") == 0


def _list_jobs(emulator: InProcessEmulator) -> list[dict[str, Any]]:
    response = httpx.get(f"{emulator.parent()}/tuningJobs")
    assert response.status_code == 200
    return list(response.json().get("tuningJobs", []))


def test_waiting_rides_through_an_emulator_restart(emulator_process: EmulatorProcess) -> None:
    with Deployment(emulator_process, config={"vertex-tuning:project": PROJECT}) as deployment:
        inputs = deployment.check(program_inputs(emulator_process))
        emulator_process.admin.stick_next_job(JobState.RUNNING)
        waiting = deployment.create_in_background(inputs)
        name = deployment.wait_for_line("is RUNNING").split()[1]

        emulator_process.stop()  # polls now meet refused connections
        time.sleep(2)
        emulator_process.start()
        emulator_process.admin.stick_job(name, None)
        created = waiting.join(timeout=120)

    assert created[0] == name
    assert created[1]["state"] == SUCCEEDED
    assert emulator_process.admin.stats()["jobs"] == 1


def test_one_provider_serves_concurrent_creates(deployment: Deployment, emulator: InProcessEmulator) -> None:
    names = [f"bot-{index}" for index in range(8)]
    inputs = {name: deployment.check({**program_inputs(emulator), "resource_name": name}) for name in names}

    creating = {name: deployment.create_in_background(inputs[name], name=name) for name in names}
    results = {name: call.join(timeout=120) for name, call in creating.items()}

    assert sorted(results) == names
    assert len({job_id for job_id, _ in results.values()}) == len(names)
    assert all(outs["state"] == SUCCEEDED for _, outs in results.values())
    assert all(outs["resource_name"] == name for name, (_, outs) in results.items())
    assert jobs_by_state(emulator) == {SUCCEEDED: len(names)}


def test_continuous_tuning_from_another_jobs_tuned_model(
    deployment: Deployment, emulator: InProcessEmulator
) -> None:
    base_id, base = deployment.up(program_inputs(emulator))
    news = {k: v for k, v in program_inputs(emulator, "more").items() if k != "base_model"}
    further = {**news, "pre_tuned_model_name": base["tuned_model_name"], "resource_name": "support-bot-v2"}

    job_id, outs = deployment.up(further)

    assert job_id != base_id
    model, version = outs["tuned_model_name"].split("@")
    assert model == base["tuned_model_name"].split("@")[0]
    assert version == "2"
