"""Google's samples for checkpoints, tuned models and metrics, run against the emulator as written
but for the endpoint and credentials: google-genai, vertexai (REST) and google-api-python-client."""

from __future__ import annotations

import time
import warnings

import pytest

from support.discovery import assert_matches_schema
from support.emulator import LOCATION, PROJECT, sample_dataset
from support.google_clients import api_client, emulator_token

TRAIN = "gs://bucket/samples/train.jsonl"
VALIDATION = "gs://bucket/samples/validation.jsonl"


@pytest.fixture
def trained(emulator):
    emulator.admin.set_job_seconds(0.5)
    emulator.write_object(TRAIN, sample_dataset(16))
    emulator.write_object(VALIDATION, sample_dataset(4))
    return emulator


@pytest.fixture
def genai_client(trained):
    from google import genai
    from google.genai import types

    return genai.Client(
        vertexai=True,
        project=PROJECT,
        location=LOCATION,
        credentials=emulator_token(),
        http_options=types.HttpOptions(base_url=trained.base_url),
    )


def _tune(client, **config):
    from google.genai import types

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        job = client.tunings.tune(
            base_model=config.pop("base_model", "gemini-3.1-flash-lite"),
            training_dataset=types.TuningDataset(gcs_uri=TRAIN),
            config=types.CreateTuningJobConfig(**config),
        )
    while not job.has_ended:
        time.sleep(0.05)
        job = client.tunings.get(name=job.name)
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED
    return job


def test_genai_checkpoints_each_answer_and_the_default_can_be_changed(genai_client):
    from google.genai import types

    job = _tune(genai_client, epoch_count=3)
    checkpoints = job.tuned_model.checkpoints
    assert [c.checkpoint_id for c in checkpoints] == ["1", "2", "3"]
    assert (
        len({c.endpoint for c in checkpoints}) == 3 and checkpoints[-1].endpoint == job.tuned_model.endpoint
    )
    for checkpoint in checkpoints:
        answer = genai_client.models.generate_content(
            model=checkpoint.endpoint, contents="tell me about chess"
        )
        assert answer.text == "Answer 3: chess is a fine subject."

    tuned = genai_client.models.get(model=job.tuned_model.model)
    assert tuned.default_checkpoint_id == "3"
    assert [c.checkpoint_id for c in tuned.checkpoints] == ["1", "2", "3"]
    assert tuned.version == "1"

    updated = genai_client.models.update(
        model=job.tuned_model.model,
        config=types.UpdateModelConfig(
            display_name="chess expert", description="v1", default_checkpoint_id="1"
        ),
    )
    assert (updated.display_name, updated.description, updated.default_checkpoint_id) == (
        "chess expert",
        "v1",
        "1",
    )
    assert genai_client.models.get(model=job.tuned_model.model).default_checkpoint_id == "1"


def test_genai_continuous_tuning_names_versions_like_the_service(genai_client):
    first = _tune(genai_client, tuned_model_display_name="helper")
    model = first.tuned_model.model.split("@")[0]

    again = _tune(genai_client, base_model=model)  # no display name: a new version of the same model
    assert again.tuned_model.model == f"{model}@2"
    assert again.tuned_model_display_name == "helper"
    assert genai_client.models.get(model=model).version == "2"  # the newest version is the default

    renamed = _tune(genai_client, base_model=f"{model}@1", tuned_model_display_name="other helper")
    assert renamed.tuned_model.model.endswith("@1") and not renamed.tuned_model.model.startswith(model + "@")


@pytest.mark.usefixtures("vertexai_on_the_emulator")
def test_vertexai_metrics_through_the_experiment_and_its_tensorboard(trained):
    from google.cloud import aiplatform
    from vertexai.tuning import sft

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        job = sft.train(
            source_model="gemini-3.1-flash-lite", train_dataset=TRAIN, validation_dataset=VALIDATION
        )
    while not job.has_ended:
        time.sleep(0.05)
        job.refresh()
    experiment = job.experiment
    tensorboard = experiment.get_backing_tensorboard_resource()
    assert tensorboard is not None and tensorboard.resource_name.startswith(
        job.resource_name.split("/tuningJobs")[0]
    )
    board_experiment = aiplatform.TensorboardExperiment(
        experiment.name, tensorboard_id=tensorboard.resource_name.rsplit("/", 1)[1]
    )
    (run,) = aiplatform.TensorboardRun.list(tensorboard_experiment_name=board_experiment.resource_name)
    data = run.read_time_series_data()  # tensorboards.batchRead
    steps = job.gca_resource.tuning_data_stats.supervised_tuning_data_stats.tuning_step_count
    assert {name: len(series.values) for name, series in data.items()} == {
        "/train_total_loss": steps,
        "/train_fraction_of_correct_next_step_preds": steps,
        "/train_num_predictions": steps,
        "/eval_total_loss": 3,
        "/eval_fraction_of_correct_next_step_preds": 3,
        "/eval_num_predictions": 3,
    }
    series = aiplatform.TensorboardTimeSeries.list(tensorboard_run_name=run.resource_name)
    loss = next(s for s in series if s.display_name == "/train_total_loss")
    assert aiplatform.TensorboardTimeSeries(loss.resource_name).display_name == "/train_total_loss"
    assert aiplatform.TensorboardRun(run.resource_name).display_name == "tuning"
    # What batchRead gave is what :read gives, point for point.
    read = trained.http.get(f"{trained.base_url}/v1/{loss.resource_name}:read").json()["timeSeriesData"][
        "values"
    ]
    assert [p["scalar"]["value"] for p in read] == [v.scalar.value for v in data["/train_total_loss"].values]


def test_api_python_client_reaches_models_endpoints_and_metrics(trained):
    service = api_client(trained)
    done = trained.wait_for_state(trained.create_job(TRAIN)["name"], "JOB_STATE_SUCCEEDED")
    locations = service.projects().locations()
    model = locations.models().get(name=done["tunedModel"]["model"]).execute()
    assert_matches_schema(model, "Model")
    assert model["versionAliases"] == ["default"] and model["defaultCheckpointId"] == "3"
    patched = (
        locations.models()
        .patch(
            name=done["tunedModel"]["model"], updateMask="versionAliases", body={"versionAliases": ["prod"]}
        )
        .execute()
    )
    assert patched["versionAliases"] == ["default", "prod"]
    by_alias = locations.models().get(name=done["tunedModel"]["model"].split("@")[0] + "@prod").execute()
    assert by_alias["versionId"] == "1"

    endpoint = locations.endpoints().get(name=done["tunedModel"]["endpoint"]).execute()
    assert_matches_schema(endpoint, "Endpoint")
    assert endpoint["deployedModels"][0]["model"] == done["tunedModel"]["model"]
    counted = (
        locations.endpoints()
        .countTokens(
            endpoint=done["tunedModel"]["endpoint"], body={"contents": [{"parts": [{"text": "two words"}]}]}
        )
        .execute()
    )
    assert counted["totalTokens"] == 2

    contexts = locations.metadataStores().contexts()
    parent = done["experiment"].split("/contexts/")[0]
    listed = contexts.list(parent=parent, filter='schema_title="system.Experiment"').execute()
    assert [c["name"] for c in listed["contexts"]] == [done["experiment"]]
    changed = contexts.patch(name=done["experiment"], body={"metadata": {"note": "kept"}}).execute()
    assert changed["metadata"]["note"] == "kept"
    assert contexts.get(name=done["experiment"]).execute()["metadata"]["note"] == "kept"
    board = changed["metadata"]["backing_tensorboard_resource"]
    assert_matches_schema(locations.tensorboards().get(name=board).execute(), "Tensorboard")
