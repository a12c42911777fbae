"""Tuned models and their endpoints over HTTP: checkpoints, models.get / patch, endpoints.get,
countTokens, per-modality usage, and Multimodal Dataset names as datasets."""

from __future__ import annotations

import pytest

from support.discovery import assert_error_envelope
from support.emulator import FAST_JOB_SECONDS, job_body, multimodal_dataset, sample_dataset

TRAIN = "gs://bucket/models/train.jsonl"


@pytest.fixture
def em(emulator):
    emulator.admin.set_job_seconds(FAST_JOB_SECONDS)
    emulator.write_object(TRAIN, sample_dataset(16))
    return emulator


@pytest.fixture
def done(em):
    spec = {"trainingDatasetUri": TRAIN, "hyperParameters": {"epochCount": 3}}
    return em.wait_for_state(em.create_job(TRAIN, supervisedTuningSpec=spec)["name"], "JOB_STATE_SUCCEEDED")


def url(em, name, version="v1"):
    return f"{em.base_url}/{version}/{name}"


def prompt(em, endpoint, text="tell me about chess", **extra):
    body = {"contents": [{"role": "user", "parts": [{"text": text}]}], **extra}
    response = em.http.post(url(em, endpoint) + ":generateContent", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_every_checkpoint_has_an_endpoint_that_answers(em, done):
    checkpoints = done["tunedModel"]["checkpoints"]
    endpoints = [c["endpoint"] for c in checkpoints]
    assert len(set(endpoints)) == 3 and endpoints[-1] == done["tunedModel"]["endpoint"]
    for checkpoint in checkpoints:
        answer = prompt(em, checkpoint["endpoint"])
        assert answer["candidates"][0]["content"]["parts"][0]["text"] == "Answer 3: chess is a fine subject."
        described = em.http.get(url(em, checkpoint["endpoint"])).json()
        assert described["deployedModels"][0]["checkpointId"] == checkpoint["checkpointId"]


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_the_tuned_model_shows_its_version_checkpoints_and_deployments(em, done, version):
    model = em.http.get(url(em, done["tunedModel"]["model"], version)).json()
    assert model["name"] == done["tunedModel"]["model"].split("@")[0]
    assert model["versionId"] == "1" and model["versionAliases"] == ["default"]
    assert model["displayName"] == done["tunedModelDisplayName"]
    assert [c["checkpointId"] for c in model["checkpoints"]] == ["1", "2", "3"]
    assert model["defaultCheckpointId"] == "3"
    assert {d["endpoint"] for d in model["deployedModels"]} == {
        c["endpoint"] for c in done["tunedModel"]["checkpoints"]
    }
    assert model["baseModelSource"]["genieSource"]["baseModelUri"].endswith(done["baseModel"])


def test_patch_sets_the_default_checkpoint_display_name_and_moves_aliases(em, done):
    model = done["tunedModel"]["model"]
    body = {"defaultCheckpointId": "2", "displayName": "two", "description": "ignored"}
    patched = em.http.patch(
        url(em, model), params={"updateMask": "default_checkpoint_id,display_name"}, json=body
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["defaultCheckpointId"], patched.json()["displayName"]) == ("2", "two")
    assert "description" not in patched.json()  # not in the mask
    described = em.http.get(url(em, done["tunedModel"]["endpoint"])).json()
    assert described["deployedModels"][0]["checkpointId"] == "3"  # what was deployed stays deployed

    again = em.create_job(TRAIN, preTunedModel={"tunedModelName": model})
    second = em.wait_for_state(again["name"], "JOB_STATE_SUCCEEDED")
    assert second["tunedModel"]["model"] == model.replace("@1", "@2")
    assert second["tunedModelDisplayName"] == "two"  # the source's (patched) name
    for version in ("@1", "@2"):
        aliased = em.http.patch(url(em, model.replace("@1", version)), json={"versionAliases": ["prod"]})
        assert aliased.status_code == 200, aliased.text
    first = em.http.get(url(em, model)).json()
    assert "prod" not in first.get("versionAliases", [])  # the alias moved to @2
    assert em.http.get(url(em, model.replace("@1", "@prod"))).json()["versionId"] == "2"


def test_patch_problems_are_listed_as_field_violations(em, done):
    response = em.http.patch(
        url(em, done["tunedModel"]["model"]),
        params={"updateMask": "defaultCheckpointId,versionAliases,artifactUri"},
        json={"defaultCheckpointId": "9", "versionAliases": ["default", "Bad"]},
    )
    assert response.status_code == 400
    body = response.json()
    assert_error_envelope(body, "INVALID_ARGUMENT", 400)
    fields = [v["field"] for v in body["error"]["details"][0]["fieldViolations"]]
    assert fields.count("model.version_aliases") == 2
    assert {"update_mask", "model.default_checkpoint_id"} <= set(fields)


def test_models_and_endpoints_of_unfinished_or_unknown_jobs_are_not_found(em):
    em.admin.set_job_seconds(60)
    job = em.create_job(TRAIN)
    parent = job["name"].split("/tuningJobs/")[0]
    for path in (f"{parent}/models/123", f"{parent}/models/123@1", f"{parent}/endpoints/123"):
        response = em.http.get(url(em, path))
        assert response.status_code == 404
        assert_error_envelope(response.json(), "NOT_FOUND", 404)


def test_count_tokens_and_usage_count_each_modality(em, done):
    image = {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    contents = [{"role": "user", "parts": [image, {"text": "tell me about chess"}]}]
    endpoint = url(em, done["tunedModel"]["endpoint"])
    counted = em.http.post(endpoint + ":countTokens", json={"contents": contents}).json()
    details = {d["modality"]: d["tokenCount"] for d in counted["promptTokensDetails"]}
    assert details == {"TEXT": 4, "IMAGE": 258} and counted["totalTokens"] == 262
    usage = em.http.post(endpoint + ":generateContent", json={"contents": contents}).json()["usageMetadata"]
    assert usage["promptTokenCount"] == 262
    assert {d["modality"]: d["tokenCount"] for d in usage["promptTokensDetails"]} == details
    assert usage["candidatesTokensDetails"] == [
        {"modality": "TEXT", "tokenCount": usage["candidatesTokenCount"]}
    ]


def test_a_multimodal_dataset_resource_name_is_read_from_the_data_directory(em):
    (em.data_dir / "_datasets").mkdir(parents=True)
    (em.data_dir / "_datasets" / "4242.jsonl").write_text(multimodal_dataset(4))
    project = em.create_job(TRAIN)["name"].split("/")[1]
    dataset = f"projects/{project}/locations/us-central1/datasets/4242"
    job = em.create_job(dataset)
    done = em.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED")
    assert done["state"] == "JOB_STATE_SUCCEEDED", done.get("error")
    assert done["tuningDataStats"]["supervisedTuningDataStats"]["tuningDatasetExampleCount"] == "4"
    elsewhere = em.http.post(
        f"{em.parent()}/tuningJobs", json=job_body(dataset.replace("us-central1", "europe-west4"))
    )
    assert elsewhere.status_code == 400 and "region" in elsewhere.json()["error"]["message"]
