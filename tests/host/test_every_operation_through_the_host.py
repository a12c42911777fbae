"""Issue 3's "Done when": every operation through the REAL provider host against the emulator.

The host is `python -m pulumi.dynamic` driven over gRPC as the engine drives it (Configure, Check,
Diff, Create, Read, Update, Delete with the pickled provider), so serialization, floats, unknowns,
config and error reporting are the real ones.
"""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path
from typing import Any

import dill
import httpx
import pytest

from support.emulator import PROJECT, EmulatorProcess, InProcessEmulator, RunningEmulator, sample_dataset
from support.provider_host import UNKNOWN, HostCallError, HostFactory, ProviderHost
from vertex_tuning.provider import TuningJobProvider
from vertex_tuning.wire import JobState

pytestmark = pytest.mark.slow

SUCCEEDED = JobState.SUCCEEDED.value
IDENTITY = {"pulumi_stack": "dev", "pulumi_project": "tuning", "resource_name": "support-bot"}


@pytest.fixture
def host(provider_host: HostFactory, emulator: InProcessEmulator) -> ProviderHost:
    started = provider_host(TuningJobProvider(), env=emulator.env)
    started.configure({"vertex-tuning:project": PROJECT, "gcp:region": "us-central1"})
    return started


def program_inputs(emulator: RunningEmulator, name: str = "train", **extra: Any) -> dict[str, Any]:
    """What the program gives a TuningJob (before check): project and location come from config."""
    uri = f"gs://acme-ml/{name}.jsonl"
    emulator.write_object(uri, sample_dataset(12))
    return {"base_model": "gemini-3.1-flash-lite", "training_dataset_uri": uri, **IDENTITY, **extra}


def checked(host: ProviderHost, news: dict[str, Any], olds: dict[str, Any] | None = None) -> dict[str, Any]:
    inputs, failures = host.check(olds or {}, news)
    assert failures == []
    return inputs


def jobs_by_state(emulator: InProcessEmulator) -> dict[str, int]:
    return dict(emulator.admin.stats()["jobsByState"])


def other_blob() -> str:
    """The provider pickled differently, as a newer dill, Pulumi or package version would."""
    blob = base64.b64encode(dill.dumps(TuningJobProvider(), protocol=2)).decode()
    assert blob != ProviderHost(TuningJobProvider()).provider_blob
    return blob


def test_create_waits_for_success_and_returns_the_endpoint(
    host: ProviderHost, emulator: InProcessEmulator
) -> None:
    inputs = checked(host, program_inputs(emulator, validation_dataset_uri=None, epoch_count=2.0))
    assert inputs["project"] == PROJECT and inputs["location"] == "us-central1"
    assert inputs["epoch_count"] == 2

    job_id, outs = host.create(inputs)

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
    progress = [line for line in host.stderr_lines if job_id in line]
    assert "console.cloud.google.com" in progress[0]
    assert [state for state in ("PENDING", "RUNNING", "SUCCEEDED") if any(state in p for p in progress)] == [
        "PENDING",
        "RUNNING",
        "SUCCEEDED",
    ]


def test_preview_with_unknown_values_passes_them_through(
    host: ProviderHost, emulator: InProcessEmulator
) -> None:
    news = program_inputs(emulator, base_model=UNKNOWN, labels={"team": UNKNOWN}, adapter_size=32)
    inputs, failures = host.check({}, news)
    assert failures == []
    assert inputs["base_model"] == UNKNOWN
    assert inputs["labels"] == {"team": UNKNOWN}
    assert emulator.admin.stats()["requests"] == {}  # check never reaches the service


def test_check_reports_every_problem_by_input_name(host: ProviderHost, emulator: InProcessEmulator) -> None:
    news = program_inputs(emulator, adapter_size=32, labels={"Team": "x"}, training_dataset_uri="train.jsonl")
    _, failures = host.check({}, news)
    assert {name for name, _ in failures} == {"adapter_size", "labels", "training_dataset_uri"}


def test_no_op_diff_after_a_package_upgrade(host: ProviderHost, emulator: InProcessEmulator) -> None:
    inputs = checked(host, program_inputs(emulator, labels={"a": "1", "b": "2"}, adapter_size="FOUR"))
    job_id, outs = host.create(inputs)

    # Next `pulumi up`: a new provider blob, labels in another order, the adapter spelled as a number.
    news = program_inputs(emulator, labels={"b": "2", "a": "1"}, adapter_size=4)
    news_checked = checked(host, {**news, "__provider": other_blob()}, olds=inputs)
    diff = host.diff(job_id, outs, news_checked)

    assert diff.changes is False
    assert diff.replaces == []


def test_renamed_stack_is_no_change(host: ProviderHost, emulator: InProcessEmulator) -> None:
    inputs = checked(host, program_inputs(emulator))
    job_id, outs = host.create(inputs)
    renamed = checked(host, {**program_inputs(emulator), "pulumi_stack": "renamed"})
    assert host.diff(job_id, outs, renamed).changes is False


def test_new_wait_timeout_is_an_in_place_update(host: ProviderHost, emulator: InProcessEmulator) -> None:
    inputs = checked(host, program_inputs(emulator))
    job_id, outs = host.create(inputs)
    news = checked(host, program_inputs(emulator, wait_timeout_minutes=30))

    diff = host.diff(job_id, outs, news)
    assert (diff.changes, diff.replaces) == (True, [])

    updated = host.update(job_id, outs, news)
    assert updated["wait_timeout_minutes"] == 30
    assert updated["tuned_model_endpoint_name"] == outs["tuned_model_endpoint_name"]
    assert emulator.admin.stats()["jobs"] == 1


def test_changed_triggers_replace_with_a_new_job(host: ProviderHost, emulator: InProcessEmulator) -> None:
    inputs = checked(host, program_inputs(emulator, triggers={"dataset": 1}))
    job_id, outs = host.create(inputs)
    news = checked(host, program_inputs(emulator, triggers={"dataset": 2}))

    diff = host.diff(job_id, outs, news)
    assert diff.changes is True
    assert diff.replaces == ["triggers"]
    assert diff.delete_before_replace is False

    new_id, _ = host.create(news)
    assert new_id != job_id
    assert jobs_by_state(emulator) == {SUCCEEDED: 2}


def test_replace_with_identical_inputs_makes_a_new_job(
    host: ProviderHost, emulator: InProcessEmulator
) -> None:
    """`pulumi up --replace`: the engine diffs the old resource, then creates; the old job is claimed."""
    inputs = checked(host, program_inputs(emulator))
    job_id, outs = host.create(inputs)

    assert host.diff(job_id, outs, inputs).changes is False  # the engine's Diff before the replacement
    new_id, _ = host.create(inputs)

    assert new_id != job_id
    assert jobs_by_state(emulator) == {SUCCEEDED: 2}


def test_create_after_an_interrupted_run_adopts_the_job(
    provider_host: HostFactory, emulator: InProcessEmulator
) -> None:
    """A new host process (the last one was killed) with the same inputs: no old resource, so adopt."""
    first = provider_host(TuningJobProvider(), env=emulator.env)
    first.configure({"vertex-tuning:project": PROJECT})
    inputs = checked(first, program_inputs(emulator))
    job_id, _ = first.create(inputs)
    first.kill()

    second = provider_host(TuningJobProvider(), env=emulator.env)
    second.configure({"vertex-tuning:project": PROJECT})
    adopted_id, outs = second.create(inputs)

    assert adopted_id == job_id
    assert outs["state"] == SUCCEEDED
    assert emulator.admin.stats()["jobs"] == 1
    assert any("adopting" in line for line in second.stderr_lines)


def test_two_resources_with_identical_inputs_get_their_own_jobs(
    host: ProviderHost, emulator: InProcessEmulator
) -> None:
    first_id, _ = host.create(checked(host, program_inputs(emulator)))
    second_id, _ = host.create(checked(host, {**program_inputs(emulator), "resource_name": "other-bot"}))
    assert first_id != second_id
    assert emulator.admin.stats()["jobs"] == 2


def test_a_failed_dataset_gives_a_clear_error(host: ProviderHost, emulator: InProcessEmulator) -> None:
    news = program_inputs(emulator)
    broken = '{"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}\n' * 3
    emulator.write_object(news["training_dataset_uri"], broken)

    with pytest.raises(HostCallError) as caught:
        host.create(checked(host, news))

    details = caught.value.details
    job = emulator.admin.stats()
    assert job["jobsByState"] == {JobState.FAILED.value: 1}
    assert "tuningJobs/" in details and "ended FAILED" in details
    assert "line 1" in details.lower()
    assert "pulumi up" in details


def test_refresh_follows_an_out_of_band_cancel(host: ProviderHost, emulator: InProcessEmulator) -> None:
    emulator.admin.stick_next_job(JobState.RUNNING)
    inputs = checked(host, program_inputs(emulator))
    name = emulator.create_job(inputs["training_dataset_uri"])["name"]
    emulator.wait_for_state(name, JobState.RUNNING.value)

    # A get (`ResourceOptions(id=...)`) passes only inputs: read must still work.
    read_id, outs, read_inputs = host.read(name, {}, inputs)
    assert read_id == name
    assert outs["state"] == JobState.RUNNING.value
    assert read_inputs is not None and read_inputs["training_dataset_uri"] == inputs["training_dataset_uri"]

    cancel = httpx.post(f"{emulator.base_url}/v1/{name}:cancel", json={})
    assert cancel.status_code == 200
    emulator.wait_for_state(name, JobState.CANCELLED.value)

    refreshed_id, refreshed, refreshed_inputs = host.read(name, outs, read_inputs)
    assert refreshed_id == name
    assert refreshed["state"] == JobState.CANCELLED.value
    assert refreshed_inputs == read_inputs

    # The next `pulumi up` replaces it: a cancelled job will never give a model.
    diff = host.diff(name, refreshed, read_inputs)
    assert diff.changes is True and "state" in diff.replaces


def test_refresh_of_a_job_that_no_longer_exists_drops_it(
    host: ProviderHost, emulator: InProcessEmulator
) -> None:
    inputs = checked(host, program_inputs(emulator))
    gone = f"projects/{PROJECT}/locations/us-central1/tuningJobs/999999"
    read_id, outs, _ = host.read(gone, {**inputs, "job_name": gone}, inputs)
    assert read_id == ""
    assert set(outs) <= {"__provider"}


def test_delete_of_a_running_job_cancels_it_and_waits(
    host: ProviderHost, emulator: InProcessEmulator
) -> None:
    inputs = checked(host, program_inputs(emulator, wait_timeout_minutes=0.02))
    emulator.admin.stick_next_job(JobState.RUNNING)

    with pytest.raises(HostCallError) as caught:  # the wait deadline passes: the job keeps running
        host.create(inputs)
    assert "keeps running" in caught.value.details
    (name,) = [job["name"] for job in _list_jobs(emulator)]
    assert emulator.get_job(name)["state"] == JobState.RUNNING.value

    host.delete(name, {**inputs, "job_name": name})

    assert emulator.get_job(name)["state"] == JobState.CANCELLED.value
    assert emulator.admin.request_count("tuningJobs.cancel") == 1


def test_delete_of_a_succeeded_job_changes_nothing(host: ProviderHost, emulator: InProcessEmulator) -> None:
    job_id, outs = host.create(checked(host, program_inputs(emulator)))

    host.delete(job_id, outs)

    assert emulator.get_job(job_id)["state"] == SUCCEEDED
    assert emulator.admin.request_count("tuningJobs.cancel") == 0
    assert any("remain" in line and outs["tuned_model_endpoint_name"] in line for line in host.stderr_lines)


def test_delete_of_a_missing_job_is_fine(host: ProviderHost, emulator: InProcessEmulator) -> None:
    inputs = checked(host, program_inputs(emulator))
    host.delete(f"projects/{PROJECT}/locations/us-central1/tuningJobs/424242", inputs)
    assert emulator.admin.request_count("tuningJobs.cancel") == 0


def _list_jobs(emulator: InProcessEmulator) -> list[dict[str, Any]]:
    response = httpx.get(f"{emulator.parent()}/tuningJobs")
    assert response.status_code == 200
    return list(response.json().get("tuningJobs", []))


def test_a_create_whose_answer_is_lost_adopts_the_job_it_made(
    host: ProviderHost, emulator: InProcessEmulator
) -> None:
    emulator.admin.drop_next_create()
    job_id, outs = host.create(checked(host, program_inputs(emulator)))
    assert outs["state"] == SUCCEEDED
    assert emulator.get_job(job_id)["state"] == SUCCEEDED
    assert emulator.admin.stats()["jobs"] == 1
    assert emulator.admin.request_count("tuningJobs.create") == 1
    assert any("answer to the create was lost" in line for line in host.stderr_lines)


def test_waiting_rides_through_an_emulator_restart(
    provider_host: HostFactory, emulator_process: EmulatorProcess
) -> None:
    host = provider_host(TuningJobProvider(), env=emulator_process.env)
    host.configure({"vertex-tuning:project": PROJECT})
    inputs = checked(host, program_inputs(emulator_process))
    emulator_process.admin.stick_next_job(JobState.RUNNING)
    created: list[tuple[str, dict[str, Any]]] = []
    waiting = threading.Thread(target=lambda: created.append(host.create(inputs)))
    waiting.start()
    running = host.wait_for_stderr(lambda line: "is RUNNING" in line)
    name = running.split()[1]

    emulator_process.stop()  # polls now meet refused connections
    time.sleep(2)
    emulator_process.start()
    emulator_process.admin.stick_job(name, None)
    waiting.join(timeout=120)

    assert created and created[0][0] == name
    assert created[0][1]["state"] == SUCCEEDED
    assert emulator_process.admin.stats()["jobs"] == 1


def test_one_provider_serves_concurrent_creates(host: ProviderHost, emulator: InProcessEmulator) -> None:
    names = [f"bot-{index}" for index in range(8)]
    inputs = {name: checked(host, {**program_inputs(emulator), "resource_name": name}) for name in names}
    results: dict[str, tuple[str, dict[str, Any]]] = {}

    def create(name: str) -> None:
        results[name] = host.create(inputs[name], name=name)

    threads = [threading.Thread(target=create, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(results) == names
    assert len({job_id for job_id, _ in results.values()}) == len(names)
    assert all(outs["state"] == SUCCEEDED for _, outs in results.values())
    assert all(outs["resource_name"] == name for name, (_, outs) in results.items())
    assert jobs_by_state(emulator) == {SUCCEEDED: len(names)}


def test_gitops_local_datasets_are_planned_uploaded_and_diffed_by_content(
    provider_host: HostFactory, emulator: InProcessEmulator, tmp_path: Path
) -> None:
    project_dir = tmp_path / "stack"
    (project_dir / "data").mkdir(parents=True)
    (project_dir / "data" / "train.jsonl").write_text(sample_dataset(8))
    host = provider_host(TuningJobProvider(), env=emulator.env, cwd=project_dir)
    host.configure({"vertex-tuning:project": PROJECT, "vertex-tuning:stagingUri": "gs://ml-staging/tuning"})
    program = {"base_model": "gemini-3.1-flash-lite", "training_dataset": "data/train.jsonl", **IDENTITY}

    inputs = checked(host, program)
    uri = inputs["training_dataset_uri"]
    assert uri.startswith("gs://ml-staging/tuning/") and uri.endswith(".jsonl")
    job_id, outs = host.create(inputs)
    assert outs["state"] == SUCCEEDED
    assert emulator.get_job(job_id)["supervisedTuningSpec"]["trainingDatasetUri"] == uri

    # Moved: same content, same URI, no change. Edited: a new URI, a new tuning run.
    (project_dir / "data" / "train.jsonl").rename(project_dir / "data" / "moved.jsonl")
    moved = checked(host, {**program, "training_dataset": "data/moved.jsonl"}, olds=inputs)
    assert host.diff(job_id, outs, moved).changes is False
    (project_dir / "data" / "moved.jsonl").write_text(sample_dataset(9))
    edited = checked(host, {**program, "training_dataset": "data/moved.jsonl"}, olds=inputs)
    assert host.diff(job_id, outs, edited).replaces == ["training_dataset_uri"]


def test_gitops_bad_local_dataset_fails_check_with_line_numbers(
    provider_host: HostFactory, emulator: InProcessEmulator, tmp_path: Path
) -> None:
    (tmp_path / "train.jsonl").write_text(sample_dataset(2) + "not json\n")
    host = provider_host(TuningJobProvider(), env=emulator.env, cwd=tmp_path)
    host.configure({"vertex-tuning:project": PROJECT, "vertex-tuning:stagingUri": "gs://ml-staging/tuning"})
    _, failures = host.check(
        {}, {"base_model": "gemini-3.1-flash-lite", "training_dataset": "train.jsonl", **IDENTITY}
    )
    assert [name for name, _ in failures] == ["training_dataset"]
    assert "3" in failures[0][1]
    assert emulator.admin.stats()["requests"] == {}


def test_continuous_tuning_from_another_jobs_tuned_model(
    host: ProviderHost, emulator: InProcessEmulator
) -> None:
    base_id, base = host.create(checked(host, program_inputs(emulator)))
    news = {k: v for k, v in program_inputs(emulator, "more").items() if k != "base_model"}
    further = {**news, "pre_tuned_model_name": base["tuned_model_name"], "resource_name": "support-bot-v2"}

    job_id, outs = host.create(checked(host, further))

    assert job_id != base_id
    model, version = outs["tuned_model_name"].split("@")
    assert model == base["tuned_model_name"].split("@")[0]
    assert version == "2"
