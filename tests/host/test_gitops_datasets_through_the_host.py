"""GitOps datasets through the REAL provider host against the emulator, as `pulumi up` runs them.

The host runs in a project directory holding `data/train.jsonl`, like a repository next to its stack.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from support.emulator import PROJECT, InProcessEmulator, sample_dataset
from support.provider_host import HostFactory, ProviderHost
from vertex_tuning import staging
from vertex_tuning.provider import TuningJobProvider

pytestmark = pytest.mark.slow

STAGING = "gs://ml-staging/tuning-datasets"
IDENTITY = {"pulumi_stack": "dev", "pulumi_project": "gitops", "resource_name": "support-bot"}
EXAMPLE_DATA = Path(__file__).parents[2] / "examples" / "gitops" / "data"


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE_DATA, tmp_path / "data")
    return tmp_path


@pytest.fixture
def host(provider_host: HostFactory, emulator: InProcessEmulator, project_dir: Path) -> ProviderHost:
    started = provider_host(TuningJobProvider(), env=emulator.env, cwd=project_dir)
    started.configure({"vertex-tuning:project": PROJECT, "vertex-tuning:stagingUri": STAGING})
    return started


def program(**extra: Any) -> dict[str, Any]:
    return {
        "base_model": "gemini-3.1-flash-lite",
        "training_dataset": "data/train.jsonl",
        **IDENTITY,
        **extra,
    }


def checked(host: ProviderHost, news: dict[str, Any]) -> dict[str, Any]:
    inputs, failures = host.check({}, news)
    assert failures == []
    return inputs


def test_check_names_the_file_by_content_and_create_tunes_from_the_upload(
    host: ProviderHost, emulator: InProcessEmulator, project_dir: Path
) -> None:
    train = project_dir / "data" / "train.jsonl"
    inputs = checked(host, program(validation_dataset="data/validation.jsonl"))

    assert inputs["training_dataset_uri"] == f"{STAGING}/{staging.file_sha256(train)}.jsonl"
    assert inputs["training_dataset"] == "data/train.jsonl"
    assert emulator.admin.request_count("storage.objects.insert") == 0  # check never uploads

    job_id, outs = host.create(inputs)

    job = emulator.get_job(job_id)
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert job["supervisedTuningSpec"]["trainingDatasetUri"] == inputs["training_dataset_uri"]
    assert job["supervisedTuningSpec"]["validationDatasetUri"] == inputs["validation_dataset_uri"]
    staged = emulator.data_dir / inputs["training_dataset_uri"].removeprefix("gs://")
    assert staged.read_bytes() == train.read_bytes()
    assert outs["training_dataset_uri"] == inputs["training_dataset_uri"]
    assert outs["validation_metrics"]  # the staged validation set was used


def test_moving_the_file_is_no_change_and_editing_it_replaces(
    host: ProviderHost, emulator: InProcessEmulator, project_dir: Path
) -> None:
    job_id, outs = host.create(checked(host, program()))
    (project_dir / "data" / "train.jsonl").rename(project_dir / "data" / "support.jsonl")

    moved = checked(host, program(training_dataset="data/support.jsonl"))
    unchanged = host.diff(job_id, outs, moved)
    (project_dir / "data" / "support.jsonl").write_text(sample_dataset(15))
    edited = checked(host, program(training_dataset="data/support.jsonl"))
    replaced = host.diff(job_id, outs, edited)

    assert moved["training_dataset_uri"] == outs["training_dataset_uri"]
    assert unchanged.changes is False
    assert edited["training_dataset_uri"] != outs["training_dataset_uri"]
    assert replaced.changes is True and "training_dataset_uri" in replaced.replaces


def test_an_object_already_staged_is_not_uploaded_again(
    host: ProviderHost, emulator: InProcessEmulator
) -> None:
    first_id, _ = host.create(checked(host, program()))
    second_id, _ = host.create(checked(host, program(triggers="again")))

    assert second_id != first_id
    assert emulator.admin.request_count("storage.objects.insert") == 1


def test_check_reports_every_bad_line_and_a_missing_staging_location(
    provider_host: HostFactory, emulator: InProcessEmulator, project_dir: Path
) -> None:
    (project_dir / "data" / "broken.jsonl").write_text(sample_dataset(2) + "{not json\n" + "[]\n")
    unconfigured = provider_host(TuningJobProvider(), env=emulator.env, cwd=project_dir)
    unconfigured.configure({"vertex-tuning:project": PROJECT})

    _, broken = unconfigured.check({}, program(training_dataset="data/broken.jsonl"))
    _, no_staging = unconfigured.check({}, program())

    assert [name for name, _ in broken if name == "training_dataset"] == ["training_dataset"] * 2
    assert any("line 3" in reason for _, reason in broken)
    assert any("line 4" in reason for _, reason in broken)
    assert [name for name, _ in no_staging] == ["staging_uri"]
    assert "vertex-tuning:stagingUri" in no_staging[0][1]
    assert emulator.admin.stats()["jobsByState"] == {}
