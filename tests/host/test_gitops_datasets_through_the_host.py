"""GitOps datasets through the REAL provider host against the emulator, as `pulumi up` runs them.

The host runs in a project directory holding `data/train.jsonl`, like a repository next to its stack.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.deployment import Deployment
from support.emulator import PROJECT, InProcessEmulator, sample_dataset
from vertex_tuning import staging

pytestmark = pytest.mark.slow

STAGING = "gs://ml-staging/tuning-datasets"
CONFIG = {"vertex-tuning:project": PROJECT, "vertex-tuning:stagingUri": STAGING}
IDENTITY = {"pulumi_stack": "dev", "pulumi_project": "gitops", "resource_name": "support-bot"}
EXAMPLE_DATA = Path(__file__).parents[2] / "examples" / "gitops" / "data"


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLE_DATA, tmp_path / "data")
    return tmp_path


@pytest.fixture
def deployment(emulator: InProcessEmulator, project_dir: Path) -> Iterator[Deployment]:
    with Deployment(emulator, config=CONFIG, cwd=project_dir) as started:
        yield started


def program(**extra: Any) -> dict[str, Any]:
    return {
        "base_model": "gemini-3.1-flash-lite",
        "training_dataset": "data/train.jsonl",
        **IDENTITY,
        **extra,
    }


def test_check_names_the_file_by_content_and_create_tunes_from_the_upload(
    deployment: Deployment, emulator: InProcessEmulator, project_dir: Path
) -> None:
    train = project_dir / "data" / "train.jsonl"
    inputs = deployment.check(program(validation_dataset="data/validation.jsonl"))

    assert inputs["training_dataset_uri"] == f"{STAGING}/{staging.file_sha256(train)}.jsonl"
    assert inputs["training_dataset"] == "data/train.jsonl"
    assert emulator.admin.request_count("storage.objects.insert") == 0  # check never uploads

    job_id, outs = deployment.create(inputs)

    job = emulator.get_job(job_id)
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    assert job["supervisedTuningSpec"]["trainingDatasetUri"] == inputs["training_dataset_uri"]
    assert job["supervisedTuningSpec"]["validationDatasetUri"] == inputs["validation_dataset_uri"]
    staged = emulator.data_dir / inputs["training_dataset_uri"].removeprefix("gs://")
    assert staged.read_bytes() == train.read_bytes()
    assert outs["training_dataset_uri"] == inputs["training_dataset_uri"]
    assert outs["validation_metrics"]  # the staged validation set was used


def test_moving_the_file_is_no_change_and_editing_it_replaces(
    deployment: Deployment, emulator: InProcessEmulator, project_dir: Path
) -> None:
    job_id, outs = deployment.up(program())
    (project_dir / "data" / "train.jsonl").rename(project_dir / "data" / "support.jsonl")

    moved = deployment.check(program(training_dataset="data/support.jsonl"))
    unchanged = deployment.diff(job_id, outs, moved)
    (project_dir / "data" / "support.jsonl").write_text(sample_dataset(15))
    edited = deployment.check(program(training_dataset="data/support.jsonl"))
    replaced = deployment.diff(job_id, outs, edited)

    assert moved["training_dataset_uri"] == outs["training_dataset_uri"]
    assert unchanged.changes is False
    assert edited["training_dataset_uri"] != outs["training_dataset_uri"]
    assert replaced.changes is True and "training_dataset_uri" in replaced.replaces


def test_local_datasets_are_planned_uploaded_and_diffed_by_content(
    emulator: InProcessEmulator, tmp_path: Path
) -> None:
    """Check with the last run's inputs as `olds`, under a staging prefix of its own."""
    project_dir = tmp_path / "stack"
    (project_dir / "data").mkdir(parents=True)
    (project_dir / "data" / "train.jsonl").write_text(sample_dataset(8))
    config = {"vertex-tuning:project": PROJECT, "vertex-tuning:stagingUri": "gs://ml-staging/tuning"}
    program = {"base_model": "gemini-3.1-flash-lite", "training_dataset": "data/train.jsonl", **IDENTITY}

    with Deployment(emulator, config=config, cwd=project_dir) as deployment:
        inputs = deployment.check(program)
        uri = inputs["training_dataset_uri"]
        assert uri.startswith("gs://ml-staging/tuning/") and uri.endswith(".jsonl")
        job_id, outs = deployment.create(inputs)
        assert outs["state"] == "JOB_STATE_SUCCEEDED"
        assert emulator.get_job(job_id)["supervisedTuningSpec"]["trainingDatasetUri"] == uri

        # Moved: same content, same URI, no change. Edited: a new URI, a new tuning run.
        (project_dir / "data" / "train.jsonl").rename(project_dir / "data" / "moved.jsonl")
        moved = deployment.check({**program, "training_dataset": "data/moved.jsonl"}, olds=inputs)
        assert deployment.diff(job_id, outs, moved).changes is False
        (project_dir / "data" / "moved.jsonl").write_text(sample_dataset(9))
        edited = deployment.check({**program, "training_dataset": "data/moved.jsonl"}, olds=inputs)
        assert deployment.diff(job_id, outs, edited).replaces == ["training_dataset_uri"]


def test_an_object_already_staged_is_not_uploaded_again(
    deployment: Deployment, emulator: InProcessEmulator
) -> None:
    first_id, _ = deployment.up(program())
    second_id, _ = deployment.up(program(triggers="again"))

    assert second_id != first_id
    assert emulator.admin.request_count("storage.objects.insert") == 1


def test_check_reports_every_bad_line_and_a_missing_staging_location(
    emulator: InProcessEmulator, project_dir: Path
) -> None:
    (project_dir / "data" / "broken.jsonl").write_text(sample_dataset(2) + "{not json\n" + "[]\n")
    with Deployment(emulator, config={"vertex-tuning:project": PROJECT}, cwd=project_dir) as unconfigured:
        broken = unconfigured.check_failures(program(training_dataset="data/broken.jsonl"))
        no_staging = unconfigured.check_failures(program())

    assert [name for name, _ in broken if name == "training_dataset"] == ["training_dataset"] * 2
    assert any("line 3" in reason for _, reason in broken)
    assert any("line 4" in reason for _, reason in broken)
    assert [name for name, _ in no_staging] == ["staging_uri"]
    assert "vertex-tuning:stagingUri" in no_staging[0][1]
    assert emulator.admin.stats()["jobsByState"] == {}


def test_a_bad_local_dataset_fails_check_with_line_numbers(
    emulator: InProcessEmulator, tmp_path: Path
) -> None:
    (tmp_path / "train.jsonl").write_text(sample_dataset(2) + "not json\n")
    config = {"vertex-tuning:project": PROJECT, "vertex-tuning:stagingUri": "gs://ml-staging/tuning"}
    with Deployment(emulator, config=config, cwd=tmp_path) as deployment:
        failures = deployment.check_failures(
            {"base_model": "gemini-3.1-flash-lite", "training_dataset": "train.jsonl", **IDENTITY}
        )
    assert [name for name, _ in failures] == ["training_dataset"]
    assert "3" in failures[0][1]
    assert emulator.admin.stats()["requests"] == {}
