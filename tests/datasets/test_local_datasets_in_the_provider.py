"""GitOps datasets in the provider: check plans content-addressed URIs, create uploads them."""

from __future__ import annotations

import json
import os

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.output import Unknown

from support.emulator import messages_dataset, sample_dataset
from vertex_tuning import provider, settings, staging
from vertex_tuning.client import VertexClient
from vertex_tuning.errors import VertexTuningError
from vertex_tuning.settings import Settings, Transport

STAGING = "gs://ml-staging/tuning"


def plan(**props):
    return staging.plan_local_datasets({"base_model": "gemini-3.1-flash-lite", **props}, STAGING)


@pytest.fixture
def train(tmp_path):
    path = tmp_path / "data" / "train.jsonl"
    path.parent.mkdir()
    path.write_text(sample_dataset(6))
    return path


def test_a_valid_file_gets_a_uri_named_by_its_content(train):
    planned, problems = plan(training_dataset=str(train))

    assert problems == []
    assert planned["training_dataset_uri"] == f"{STAGING}/{staging.file_sha256(train)}.jsonl"
    assert planned["training_dataset"] == str(train)


def test_moving_or_touching_a_file_keeps_its_uri_and_editing_it_does_not(train, tmp_path):
    before, _ = plan(training_dataset=str(train))
    moved = train.rename(tmp_path / "elsewhere.jsonl")
    os.utime(moved, (2_000_000_000, 2_000_000_000))
    after_move, _ = plan(training_dataset=str(moved))
    moved.write_text(sample_dataset(7))
    after_edit, _ = plan(training_dataset=str(moved))

    assert after_move["training_dataset_uri"] == before["training_dataset_uri"]
    assert after_edit["training_dataset_uri"] != before["training_dataset_uri"]


def test_every_problem_in_the_file_is_reported_with_its_line(tmp_path):
    broken = tmp_path / "broken.jsonl"
    good = sample_dataset(1)
    no_answer = json.dumps({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}) + "\n"
    broken.write_text(good + "{oops\n" + no_answer)

    planned, problems = plan(training_dataset=str(broken))

    assert [name for name, _ in problems] == ["training_dataset", "training_dataset"]
    assert f"{broken}: line 2: " in problems[0][1]
    assert f"{broken}: line 3: " in problems[1][1]
    assert "training_dataset_uri" not in planned


def test_the_file_is_checked_for_the_chosen_model(tmp_path):
    legacy = tmp_path / "legacy.jsonl"
    legacy.write_text(messages_dataset(3))

    _, for_current = plan(training_dataset=str(legacy))
    _, for_legacy = plan(training_dataset=str(legacy), base_model="gemini-1.0-pro-002")

    assert for_current and for_current[0][0] == "training_dataset"
    assert for_legacy == []


def test_validation_files_are_planned_too(train, tmp_path):
    validation = tmp_path / "validation.jsonl"
    validation.write_text(sample_dataset(3))

    planned, problems = plan(training_dataset=str(train), validation_dataset=str(validation))

    assert problems == []
    assert planned["validation_dataset_uri"] == f"{STAGING}/{staging.file_sha256(validation)}.jsonl"


def test_a_missing_file_is_a_problem_not_an_error(tmp_path):
    _, problems = plan(training_dataset=str(tmp_path / "nope.jsonl"))

    assert problems[0][0] == "training_dataset"
    assert "cannot read the dataset" in problems[0][1]


def test_local_datasets_need_a_staging_location(train):
    _, without = staging.plan_local_datasets({"training_dataset": str(train)}, None)
    _, bad = staging.plan_local_datasets({"training_dataset": str(train), "staging_uri": "s3://x/y"}, None)
    planned, from_input = staging.plan_local_datasets(
        {"training_dataset": str(train), "staging_uri": "gs://other-bucket/p"}, STAGING
    )

    assert without[0][0] == "staging_uri" and "vertex-tuning:stagingUri" in without[0][1]
    assert bad[0][0] == "staging_uri" and "gs://" in bad[0][1]
    assert from_input == []
    assert planned["training_dataset_uri"].startswith("gs://other-bucket/p/")


def test_a_file_and_a_uri_for_the_same_dataset_is_a_problem(train):
    _, problems = plan(training_dataset=str(train), training_dataset_uri="gs://b-1/x.jsonl")

    assert problems == [
        ("training_dataset", "set only one of training_dataset (a local file) and training_dataset_uri")
    ]


def test_unknown_values_pass_through_in_preview(train):
    planned, problems = plan(training_dataset=Unknown())
    _, unknown_staging = staging.plan_local_datasets(
        {"training_dataset": str(train), "staging_uri": Unknown()}, None
    )

    assert problems == [] and unknown_staging == []
    assert "training_dataset_uri" not in planned


def test_without_local_datasets_nothing_changes():
    props = {"base_model": "gemini-3.1-flash-lite", "training_dataset_uri": "gs://b-1/t.jsonl"}

    assert staging.plan_local_datasets(props, None) == (props, [])


def test_create_uploads_each_planned_file_once(emulator, train):
    planned, _ = plan(training_dataset=str(train))

    with VertexClient(
        Settings(project="test-project", transport=Transport(emulator_host=emulator.host_port))
    ) as client:
        staging.upload_local_datasets(client, planned)
        staging.upload_local_datasets(client, planned)

    stored = emulator.data_dir / planned["training_dataset_uri"].removeprefix("gs://")
    assert stored.read_bytes() == train.read_bytes()
    assert emulator.admin.request_count("storage.objects.insert") == 1


def test_create_refuses_a_file_changed_since_check(emulator, train):
    planned, _ = plan(training_dataset=str(train))
    train.write_text(sample_dataset(9))

    with (
        VertexClient(
            Settings(project="test-project", transport=Transport(emulator_host=emulator.host_port))
        ) as client,
        pytest.raises(VertexTuningError, match="changed after check"),
    ):
        staging.upload_local_datasets(client, planned)
    assert emulator.admin.request_count("storage.objects.insert") == 0


def test_create_resolves_settings_once_and_uploads_through_the_jobs_client(emulator, train, monkeypatch):
    monkeypatch.setenv(settings.EMULATOR_ENV, emulator.host_port)
    monkeypatch.setattr(provider, "_clients", {})
    resolutions, clients = [], []
    resolve = settings.resolve_settings
    monkeypatch.setattr(
        settings, "resolve_settings", lambda **given: resolutions.append(given) or resolve(**given)
    )

    class CountedClient(VertexClient):
        def __init__(self, *args, **kwargs):
            clients.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(provider, "VertexClient", CountedClient)
    host = provider.TuningJobProvider()
    host.configure(ConfigureRequest(Config({"vertex-tuning:project": "test-project"}, "tuning")))
    program = {
        "base_model": "gemini-3.1-flash-lite",
        "training_dataset": str(train),
        "staging_uri": STAGING,
        "wait_timeout_minutes": 5,
        "pulumi_stack": "dev",
        "pulumi_project": "tuning",
        "resource_name": "bot",
    }
    checked = host.check({}, program)
    assert checked.failures == [] and resolutions == []  # check resolves without building settings

    created = host.create(checked.inputs)

    assert created.outs["state"] == "JOB_STATE_SUCCEEDED"
    assert len(resolutions) == 1 and len(clients) == 1
    assert emulator.admin.request_count("storage.objects.insert") == 1
    for client in clients:
        client.close()
