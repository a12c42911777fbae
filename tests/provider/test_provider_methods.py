"""TuningJobProvider's methods called in-process: settings in check, diff rules, update, outputs."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.output import Unknown

from vertex_tuning import settings, spec, wire
from vertex_tuning.outputs import job_outputs
from vertex_tuning.provider import TuningJobProvider

PROGRAM = {
    "base_model": "gemini-3.1-flash-lite",
    "training_dataset_uri": "gs://acme-ml/train.jsonl",
    "pulumi_stack": "dev",
    "pulumi_project": "tuning",
    "resource_name": "bot",
}
JOB = "projects/123/locations/us-central1/tuningJobs/42"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*settings.PROJECT_ENV, *settings.LOCATION_ENV, settings.EMULATOR_ENV):
        monkeypatch.delenv(name, raising=False)

    def no_adc() -> str:
        raise AssertionError("Application Default Credentials were consulted")

    monkeypatch.setattr(settings, "adc_project", no_adc)


def configured(config: dict[str, str] | None = None) -> TuningJobProvider:
    provider = TuningJobProvider()
    provider.configure(ConfigureRequest(Config(config or {}, "tuning")))
    return provider


def test_check_fills_project_and_location_from_config_without_network() -> None:
    result = configured({"gcp:project": "acme-ml", "gcp:region": "europe-west4"}).check({}, PROGRAM)
    assert result.failures == []
    assert (result.inputs["project"], result.inputs["location"]) == ("acme-ml", "europe-west4")


def test_check_prefers_the_input_then_config_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west1")
    provider = configured({"vertex-tuning:project": "config-project"})
    inputs = provider.check({}, PROGRAM).inputs
    assert (inputs["project"], inputs["location"]) == ("config-project", "europe-west1")
    assert provider.check({}, {**PROGRAM, "project": "input-project"}).inputs["project"] == "input-project"


def test_a_project_only_adc_knows_is_left_for_create() -> None:
    result = configured().check({}, PROGRAM)
    assert result.failures == []
    assert "project" not in result.inputs
    assert result.inputs["location"] == "us-central1"


def test_with_an_emulator_a_missing_project_is_a_check_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.EMULATOR_ENV, "127.0.0.1:9")
    failures = configured().check({}, PROGRAM).failures
    assert [(f.property, "GOOGLE_CLOUD_PROJECT" in f.reason) for f in failures] == [("project", True)]


def test_bad_stack_config_is_a_check_failure_not_a_crash() -> None:
    failures = configured({"gcp:project": "acme-ml", "gcp:region": "evil.com/x"}).check({}, PROGRAM).failures
    assert [f.property for f in failures] == ["location"]


@pytest.mark.parametrize(
    "garbage",
    [{"labels": 5}, {"base_model": [1]}, {"triggers": {"a": object()}}, {"epoch_count": "many"}, {"nope": 1}],
)
def test_check_never_raises(garbage: dict[str, Any]) -> None:
    result = configured({"gcp:project": "acme-ml"}).check({}, {**PROGRAM, **garbage})
    assert [f.property for f in result.failures] == list(garbage)


def test_check_passes_unknown_project_and_location_through() -> None:
    unknown = Unknown()
    inputs = configured().check({}, {**PROGRAM, "project": unknown, "location": unknown}).inputs
    assert inputs["project"] is unknown and inputs["location"] is unknown


def test_diff_ignores_the_provider_blob_and_the_identity_inputs() -> None:
    provider = configured({"gcp:project": "acme-ml"})
    olds = {**provider.check({}, PROGRAM).inputs, "__provider": "old-blob", "state": "JOB_STATE_SUCCEEDED"}
    news = {**provider.check({}, {**PROGRAM, "pulumi_stack": "prod"}).inputs, "__provider": "new-blob"}
    result = provider.diff(JOB, olds, news)
    assert (result.changes, result.replaces) == (False, [])


def test_diff_resolves_a_missing_project_as_create_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "adc_project", lambda: "adc-project")
    provider = configured()
    news = provider.check({}, PROGRAM).inputs
    olds = {**news, "project": "adc-project", "state": "JOB_STATE_SUCCEEDED"}
    assert provider.diff(JOB, olds, news).changes is False
    assert provider.diff(JOB, {**olds, "project": "elsewhere"}, news).replaces == ["project"]


@pytest.mark.parametrize("state", ["JOB_STATE_CANCELLED", "JOB_STATE_FAILED", "JOB_STATE_EXPIRED"])
def test_a_job_refreshed_into_a_dead_end_is_replaced(state: str) -> None:
    provider = configured({"gcp:project": "acme-ml"})
    inputs = provider.check({}, PROGRAM).inputs
    result = provider.diff(JOB, {**inputs, "state": state}, inputs)
    assert (result.changes, result.replaces, result.delete_before_replace) == (True, ["state"], False)


def test_update_keeps_every_output_and_takes_the_new_timeout() -> None:
    olds = {
        "job_name": JOB,
        "tuned_model_endpoint_name": "e",
        "wait_timeout_minutes": 1440,
        "api_version": "v1beta1",
    }
    outs = configured().update(JOB, olds, {**PROGRAM, "wait_timeout_minutes": 30.0}).outs
    assert outs == {"job_name": JOB, "tuned_model_endpoint_name": "e", "wait_timeout_minutes": 30}


def test_a_bad_concurrency_setting_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    configured({"vertex-tuning:maxConcurrentOperations": "lots"})
    assert "maxConcurrentOperations" in capsys.readouterr().err


def test_outputs_of_a_succeeded_job() -> None:
    job = wire.TuningJob.model_validate(
        {
            "name": JOB,
            "state": "JOB_STATE_SUCCEEDED",
            "createTime": "2026-01-01T00:00:00Z",
            "endTime": "2026-01-01T01:00:00.5Z",
            "experiment": "projects/123/locations/us-central1/metadataStores/default/contexts/e1",
            "supervisedTuningSpec": {
                "trainingDatasetUri": "gs://a/t.jsonl",
                "hyperParameters": {"epochCount": "3", "adapterSize": 3, "learningRateMultiplier": 1.0},
            },
            "tunedModel": {
                "model": "projects/123/locations/us-central1/models/7@1",
                "endpoint": "projects/123/locations/us-central1/endpoints/8",
                "checkpoints": [{"checkpointId": "1", "epoch": "3", "step": "30", "endpoint": "e"}],
            },
            "tuningDataStats": {"supervisedTuningDataStats": {"tuningDatasetExampleCount": "12"}},
            "labels": {spec.ID_LABEL: "x" * 40},
        }
    )
    outs = job_outputs(job)
    assert outs["hyper_parameters"] == {"epoch_count": 3, "adapter_size": 8, "learning_rate_multiplier": 1.0}
    assert outs["checkpoints"] == [{"checkpoint_id": "1", "epoch": 3, "step": 30, "endpoint": "e"}]
    assert outs["tuning_data_stats"] == {"tuning_dataset_example_count": 12}
    assert outs["create_time"] == "2026-01-01T00:00:00.000000Z"
    assert outs["end_time"] == "2026-01-01T01:00:00.500000Z"
    assert outs["console_url"].endswith("tuningJob/42?project=123")
    assert outs["tuned_model_endpoint_name"].endswith("/endpoints/8")
