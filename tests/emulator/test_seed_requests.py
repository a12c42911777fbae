"""The seed document's REST calls, sent as written (Google's curl samples: trailing commas, a single
`parts` object where a list is declared, role "USER", snake_case next to camelCase).

Against today's catalogue only the model id changes (the seed's `gemini-1.5-pro-002` has retired);
set back to the seed's day (`--as-of 2024-11-01`), the emulator takes them exactly as written,
customer-managed key included."""

from __future__ import annotations

import json

import pytest

from support.emulator import BASE_MODEL, FAST_JOB_SECONDS, LOCATION, PROJECT, sample_dataset

SEED_MODEL = "gemini-1.5-pro-002"
TRAIN = "gs://cloud-samples-data/ai-platform/generative_ai/sft_train_data.jsonl"
VALIDATION = "gs://cloud-samples-data/ai-platform/generative_ai/sft_validation_data.jsonl"

CREATE_BODY = """{
  "baseModel": "gemini-1.5-pro-002",
  "supervisedTuningSpec" : {
      "training_dataset_uri": "gs://cloud-samples-data/ai-platform/generative_ai/sft_train_data.jsonl",
      "validation_dataset_uri": "gs://cloud-samples-data/ai-platform/generative_ai/sft_validation_data.jsonl",
      "hyperParameters": {
          "epochCount": 2,
          "adapterSize": "ADAPTER_SIZE_FOUR",
          "learningRateMultiplier": 1.0
      },
  },
  "tunedModelDisplayName": "tuned_gemini_pro",
}"""

GENERATE_BODY = """{
    "contents": [
        {
            "role": "USER",
            "parts": {
                "text" : "tell me about gardening"
            }
        }
    ],
    "generation_config": {
        "temperature":0.2,
        "topP": 0.8,
        "topK": 40,
        "maxOutputTokens": 2048,
    }
}"""


@pytest.fixture
def em(emulator):
    emulator.admin.set_job_seconds(FAST_JOB_SECONDS)
    emulator.write_object(TRAIN, sample_dataset(10))
    emulator.write_object(VALIDATION, sample_dataset(4))
    return emulator


def send(em, method, url, body=None):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    return em.http.request(method, url, content=body, headers=headers)


def test_the_seeds_create_get_list_and_prompt_run_as_written(em):
    created = send(em, "POST", f"{em.parent()}/tuningJobs", CREATE_BODY.replace(SEED_MODEL, BASE_MODEL))
    assert created.status_code == 200, created.text
    job = created.json()
    assert job["tunedModelDisplayName"] == "tuned_gemini_pro"
    assert job["supervisedTuningSpec"]["validationDatasetUri"] == VALIDATION

    done = em.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED")
    assert send(em, "GET", f"{em.base_url}/v1/{job['name']}").json()["state"] == "JOB_STATE_SUCCEEDED"
    listed = send(em, "GET", f"{em.parent()}/tuningJobs").json()["tuningJobs"]
    assert [item["name"] for item in listed] == [job["name"]]

    url = f"{em.base_url}/v1/{done['tunedModel']['endpoint']}:generateContent"
    answer = send(em, "POST", url, GENERATE_BODY)
    assert answer.status_code == 200, answer.text
    assert (
        answer.json()["candidates"][0]["content"]["parts"][0]["text"]
        == "Answer 2: gardening is a fine subject."
    )


def test_the_seeds_cancel_takes_no_body(em):
    em.admin.set_job_seconds(30)
    job = send(em, "POST", f"{em.parent()}/tuningJobs", CREATE_BODY.replace(SEED_MODEL, BASE_MODEL)).json()
    cancelled = send(em, "POST", f"{em.base_url}/v1/{job['name']}:cancel")
    assert cancelled.status_code == 200 and cancelled.json() == {}
    assert em.get_job(job["name"])["state"] in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED")


@pytest.fixture
def seed_day(seed_emulator):
    seed_emulator.write_object(TRAIN, sample_dataset(10))
    seed_emulator.write_object(VALIDATION, sample_dataset(4))
    return seed_emulator


def test_set_back_to_the_seeds_day_its_requests_run_exactly_as_written_with_a_kms_key(seed_day):
    created = send(seed_day, "POST", f"{seed_day.parent()}/tuningJobs", CREATE_BODY)
    assert created.status_code == 200, created.text
    assert created.json()["baseModel"] == SEED_MODEL
    done = seed_day.wait_for_state(created.json()["name"], "JOB_STATE_SUCCEEDED")
    url = f"{seed_day.base_url}/v1/{done['tunedModel']['endpoint']}:generateContent"
    assert send(seed_day, "POST", url, GENERATE_BODY).status_code == 200

    key = f"projects/{PROJECT}/locations/{LOCATION}/keyRings/seed/cryptoKeys/tuning"
    encryption = f'"encryptionSpec": {json.dumps({"kmsKeyName": key})},\n  "tunedModelDisplayName"'
    with_key = CREATE_BODY.replace('"tunedModelDisplayName"', encryption)
    encrypted = send(seed_day, "POST", f"{seed_day.parent()}/tuningJobs", with_key)
    assert encrypted.status_code == 200, encrypted.text
    assert encrypted.json()["encryptionSpec"]["kmsKeyName"] == key
