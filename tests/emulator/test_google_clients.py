"""Google's own clients against the emulator, end to end: they must not tell it from Vertex AI."""

from __future__ import annotations

import time
import warnings

import pytest

from support.discovery import assert_matches_schema
from support.emulator import LOCATION, PROJECT, sample_dataset
from support.google_clients import api_client, emulator_token

TRAIN = "gs://bucket/clients/train.jsonl"
TERMINAL = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")


@pytest.fixture
def trained(emulator):
    emulator.write_object(TRAIN, sample_dataset(10, system="Answer briefly."))
    return emulator


@pytest.mark.parametrize("api_version", ["v1", "v1beta1"])  # the SDK's default for Vertex is v1beta1
def test_google_genai_tunes_lists_cancels_and_prompts(trained, api_version):
    from google import genai
    from google.genai import types

    client = genai.Client(
        vertexai=True,
        project=PROJECT,
        location=LOCATION,
        credentials=emulator_token(),
        http_options=types.HttpOptions(base_url=trained.base_url, api_version=api_version),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK flags tuning as experimental
        job = client.tunings.tune(
            base_model="gemini-3.1-flash-lite",
            training_dataset=types.TuningDataset(gcs_uri=TRAIN),
            config=types.CreateTuningJobConfig(epoch_count=2, adapter_size="ADAPTER_SIZE_FOUR"),
        )
        other = client.tunings.tune(
            base_model="gemini-3.1-flash-lite", training_dataset=types.TuningDataset(gcs_uri=TRAIN)
        )
    assert job.state == types.JobState.JOB_STATE_PENDING
    assert job.name.startswith("projects/") and job.name.split("/")[1].isdigit()

    client.tunings.cancel(name=other.name)
    while not job.has_ended:
        time.sleep(0.05)
        job = client.tunings.get(name=job.name)
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED
    assert job.tuned_model.model.endswith("@1")
    assert job.tuning_data_stats.supervised_tuning_data_stats.tuning_dataset_example_count == 10

    names = {listed.name for listed in client.tunings.list()}
    assert names == {job.name, other.name}
    assert client.tunings.get(name=other.name).state in (
        types.JobState.JOB_STATE_CANCELLING,
        types.JobState.JOB_STATE_CANCELLED,
    )

    answer = client.models.generate_content(
        model=job.tuned_model.endpoint,
        contents="tell me about chess",
        config=types.GenerateContentConfig(system_instruction="Answer briefly."),
    )
    assert answer.text == "Answer 3: chess is a fine subject."
    assert answer.usage_metadata.total_token_count > answer.usage_metadata.prompt_token_count > 0
    streamed = client.models.generate_content_stream(
        model=job.tuned_model.endpoint, contents="tell me about chess"
    )
    assert "".join(chunk.text or "" for chunk in streamed) == answer.text
    assert_matches_schema(trained.get_job(job.name, api_version), "TuningJob", version=api_version)
    assert trained.admin.stats()["requests"]["endpoints.streamGenerateContent"] == 1


@pytest.mark.usefixtures("vertexai_on_the_emulator")
def test_vertexai_sft_in_rest_mode(trained):
    from vertexai.tuning import sft

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        job = sft.train(source_model="gemini-3.1-flash-lite", train_dataset=TRAIN, epochs=2, adapter_size=4)
        doomed = sft.train(source_model="gemini-3.1-flash-lite", train_dataset=TRAIN)
    doomed.cancel()
    while not job.has_ended:
        time.sleep(0.05)
        job.refresh()  # follows `experiment` to its context once the job runs
    assert job.has_succeeded
    assert job.tuned_model_name.endswith("@1")
    assert job.tuned_model_endpoint_name.startswith(
        job.resource_name.split("/tuningJobs/")[0] + "/endpoints/"
    )
    assert job.experiment is not None
    doomed.refresh()
    assert doomed.state.name in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")
    listed = {listed.resource_name for listed in sft.SupervisedTuningJob.list()}
    assert listed == {job.resource_name, doomed.resource_name}
    # vertexai speaks v1beta1 with integer enums; the context GET happened too.
    requests = trained.admin.stats()["requests"]
    assert requests["metadataStores.contexts.get"] >= 1
    assert_matches_schema(trained.get_job(job.resource_name, "v1beta1"), "TuningJob", version="v1beta1")


def test_google_api_python_client_static_discovery(trained):
    service = api_client(trained)
    jobs = service.projects().locations().tuningJobs()
    parent = f"projects/{PROJECT}/locations/{LOCATION}"
    body = {"baseModel": "gemini-3.1-flash-lite", "supervisedTuningSpec": {"trainingDatasetUri": TRAIN}}
    created = jobs.create(parent=parent, body=body).execute()
    assert_matches_schema(created, "TuningJob")
    cancelled = jobs.create(parent=parent, body=body).execute()
    assert jobs.cancel(name=cancelled["name"], body={}).execute() == {}

    done = trained.wait_for_state(created["name"], *TERMINAL)
    fetched = jobs.get(name=created["name"]).execute()
    assert fetched["state"] == done["state"] == "JOB_STATE_SUCCEEDED"
    assert_matches_schema(fetched, "TuningJob")

    page = jobs.list(parent=parent, pageSize=1).execute()
    assert_matches_schema(page, "ListTuningJobsResponse")
    assert len(page["tuningJobs"]) == 1 and "nextPageToken" in page
    rest = jobs.list(parent=parent, pageSize=1, pageToken=page["nextPageToken"]).execute()
    assert {page["tuningJobs"][0]["name"], rest["tuningJobs"][0]["name"]} == {
        created["name"],
        cancelled["name"],
    }

    endpoints = service.projects().locations().endpoints()
    answer = endpoints.generateContent(
        model=fetched["tunedModel"]["endpoint"],
        body={"contents": [{"role": "user", "parts": [{"text": "tell me about gardening"}]}]},
    ).execute()
    assert_matches_schema(answer, "GenerateContentResponse")
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == "Answer 2: gardening is a fine subject."
