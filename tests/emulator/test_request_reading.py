"""Request JSON is read as Google's front end reads it: protobuf's JSON rules, every problem listed."""

from __future__ import annotations

import json

import pytest

from support.discovery import assert_error_envelope
from support.emulator import FAST_JOB_SECONDS, job_body, sample_dataset

TRAIN = "gs://bucket/read/train.jsonl"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


@pytest.fixture
def em(emulator):
    emulator.write_object(TRAIN, sample_dataset(8))
    return emulator


@pytest.fixture
def endpoint(em):
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    job = em.wait_for_state(em.create_job(TRAIN)["name"], "JOB_STATE_SUCCEEDED")
    return f"{em.base_url}/v1/{job['tunedModel']['endpoint']}"


def violations(response) -> list[dict[str, str]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert_error_envelope(body, "INVALID_ARGUMENT", 400)
    (detail,) = body["error"]["details"]
    assert detail["@type"] == BAD_REQUEST
    return list(detail["fieldViolations"])


def test_trailing_commas_and_snake_case_names_are_read(em):
    raw = (
        '{"base_model": "gemini-3.1-flash-lite", "supervised_tuning_spec": {"training_dataset_uri": '
        f'"{TRAIN}", "hyper_parameters": {{"epoch_count": "2",}},}}, "labels": {{"team": "ml",}},}}'
    )
    response = em.http.post(f"{em.parent()}/tuningJobs", content=raw)
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["supervisedTuningSpec"]["hyperParameters"]["epochCount"] == "2"
    assert job["labels"] == {"team": "ml"}


def test_a_comma_inside_a_string_is_kept(em):
    raw = json.dumps(job_body(TRAIN, description="a, b,]")).replace("}", ",}", 1)
    response = em.http.post(f"{em.parent()}/tuningJobs", content=raw)
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "a, b,]"


def test_one_value_where_a_list_is_declared_and_enum_names_in_any_case(em, endpoint):
    body = {
        "contents": {"role": "USER", "parts": {"text": "tell me about chess"}},
        "safetySettings": {"category": "harm_category_hate_speech", "threshold": "BLOCK_NONE"},
        "generationConfig": {"stopSequences": "zzz", "responseModalities": "text"},
    }
    response = em.http.post(f"{endpoint}:generateContent", json=body)
    assert response.status_code == 200, response.text
    assert "chess" in response.json()["candidates"][0]["content"]["parts"][0]["text"]


def test_integer_enums_follow_the_proto_numbers(em):
    body = job_body(TRAIN)
    body["supervisedTuningSpec"] = {"trainingDatasetUri": TRAIN, "hyperParameters": {"adapterSize": 2}}
    response = em.http.post(f"{em.parent()}/tuningJobs", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["supervisedTuningSpec"]["hyperParameters"]["adapterSize"] == "ADAPTER_SIZE_FOUR"


def test_every_problem_is_listed_with_field_violations(em):
    body = {
        "baseModel": "gemini-3.1-flash-lite",
        "surprise": 1,
        "supervisedTuningSpec": {
            "trainingDatasetUri": TRAIN,
            "epochs": 3,
            "hyperParameters": {"epochCount": "x"},
        },
        "labels": {"team": 5},
    }
    found = violations(em.http.post(f"{em.parent()}/tuningJobs", json=body))
    descriptions = [v["description"] for v in found]
    assert len(found) == 4, descriptions
    assert any("Unknown name \"surprise\" at 'tuning_job'" in d for d in descriptions)
    assert any("Unknown name \"epochs\" at 'tuning_job.supervised_tuning_spec'" in d for d in descriptions)
    assert "tuning_job.supervised_tuning_spec.hyper_parameters.epoch_count" in {v["field"] for v in found}
    assert any(v["field"].startswith("tuning_job.labels") for v in found)


def test_semantic_problems_are_listed_together(em):
    body = {
        "baseModel": "no-such-model",
        "supervisedTuningSpec": {"trainingDatasetUri": "http://not-gcs/x"},
        "tunedModelDisplayName": "x" * 200,
        "labels": {"Bad": "v"},
        "serviceAccount": "nobody",
    }
    found = violations(em.http.post(f"{em.parent()}/tuningJobs", json=body))
    fields = {v["field"] for v in found}
    assert {
        "tuning_job.base_model",
        "tuning_job.supervised_tuning_spec.training_dataset_uri",
        "tuning_job.tuned_model_display_name",
        "tuning_job.labels",
        "tuning_job.service_account",
    } <= fields


BETA_SPEC = {
    "trainingDatasetUri": TRAIN,
    "tuningMode": "TUNING_MODE_PEFT_ADAPTER",
    "hyperParameters": {"batchSize": "8", "learningRate": 0.001},
}


@pytest.mark.parametrize(
    ("version", "field", "extra"),
    [
        ("v1beta1", "tuningMode", {"supervisedTuningSpec": BETA_SPEC}),
        ("v1beta1", "outputUri", {"outputUri": "gs://bucket/out"}),
        (
            "v1",
            "preferenceOptimizationSpec",
            {"preferenceOptimizationSpec": {"hyperParameters": {"beta": 0.1}}},
        ),
    ],
)
def test_fields_of_one_version_are_accepted_there_and_unknown_on_the_other(em, version, field, extra):
    other = "v1" if version == "v1beta1" else "v1beta1"
    body = job_body(TRAIN, **extra)
    accepted = em.http.post(f"{em.parent(version)}/tuningJobs", json=body)
    assert accepted.status_code == 200, accepted.text
    refused = em.http.post(f"{em.parent(other)}/tuningJobs", json=body)
    if version == "v1":  # v1beta1 declares everything v1 does for tuning jobs
        assert refused.status_code == 200
        return
    assert any(f'Unknown name "{field}"' in v["description"] for v in violations(refused))


def test_v1_readers_never_see_v1beta1_only_fields(em):
    created = em.http.post(f"{em.parent('v1beta1')}/tuningJobs", json=job_body(TRAIN, outputUri="gs://b/o"))
    assert created.status_code == 200, created.text
    name = created.json()["name"]
    assert em.get_job(name, "v1beta1")["outputUri"] == "gs://b/o"
    seen = em.get_job(name, "v1")
    assert "outputUri" not in seen and "tuningJobState" not in seen


def test_global_is_refused_with_failed_precondition(em):
    response = em.http.post(f"{em.parent(location='global')}/tuningJobs", json=job_body(TRAIN))
    assert response.status_code == 400
    assert_error_envelope(response.json(), "FAILED_PRECONDITION", 400)


def test_read_mask_on_list_is_refused_like_the_service(em):
    response = em.http.get(f"{em.parent()}/tuningJobs", params={"readMask": "name"})
    assert response.status_code == 400
    assert 'Unknown name "readMask"' in response.json()["error"]["message"]


def test_response_schema_gets_json_that_fits(em, endpoint):
    schema = {
        "type": "OBJECT",
        "properties": {
            "answer": {"type": "STRING"},
            "topic": {"type": "STRING", "enum": ["weather", "chess", "music"]},
            "confidence": {"type": "NUMBER"},
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}, "minItems": 2},
        },
        "propertyOrdering": ["topic", "answer"],
    }
    config = {"responseMimeType": "application/json", "responseSchema": schema, "temperature": 0}
    body = {
        "contents": [{"role": "user", "parts": [{"text": "tell me about chess"}]}],
        "generationConfig": config,
    }
    response = em.http.post(f"{endpoint}:generateContent", json=body)
    assert response.status_code == 200, response.text
    answer = json.loads(response.json()["candidates"][0]["content"]["parts"][0]["text"])
    assert list(answer) == ["topic", "answer", "confidence", "tags"]
    assert answer["topic"] == "chess" and "chess" in answer["answer"]
    assert isinstance(answer["confidence"], float) and len(answer["tags"]) == 2


def test_json_mime_type_alone_gives_a_json_string(em, endpoint):
    config = {"responseMimeType": "application/json", "thinkingConfig": {"thinkingBudget": 0}}
    body = {"contents": [{"parts": [{"text": "tell me about chess"}]}], "generationConfig": config}
    response = em.http.post(f"{endpoint}:generateContent", json=body)
    assert response.status_code == 200, response.text
    assert "chess" in json.loads(response.json()["candidates"][0]["content"]["parts"][0]["text"])
