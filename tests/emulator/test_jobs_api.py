"""tuningJobs over HTTP: create/get/list/cancel on /v1 and /v1beta1, proto3 JSON, validation, failures."""

from __future__ import annotations

import json

import pytest

from support.discovery import assert_error_envelope, assert_matches_schema
from support.emulator import FAST_JOB_SECONDS, LOCATION, PROJECT, job_body, messages_dataset, sample_dataset

TRAIN = "gs://bucket/train.jsonl"


@pytest.fixture
def em(emulator):
    emulator.write_object(TRAIN, sample_dataset(10))
    return emulator


def post(em, body, version="v1", **params):
    return em.http.post(f"{em.parent(version)}/tuningJobs", json=body, params=params)


def error_of(response, status, code):
    assert response.status_code == code, response.text
    body = response.json()
    assert_error_envelope(body, status, code)
    return body["error"]["message"]


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_create_answers_pending_with_project_number_and_numeric_id(em, version):
    response = post(em, job_body(TRAIN, labels={"team": "ml"}), version)
    assert response.status_code == 200
    job = response.json()
    assert_matches_schema(job, "TuningJob", version=version)
    _, number, _, location, _, job_id = job["name"].split("/")
    assert number.isdigit() and job_id.isdigit() and location == LOCATION
    assert job["state"] == "JOB_STATE_PENDING"
    assert job["createTime"] == job["updateTime"]
    assert not {"experiment", "tunedModel", "startTime", "endTime"} & set(job)
    assert job["tunedModelDisplayName"].startswith("gemini-3.1-flash-lite-")
    # The id and the number reach the same job, on either version.
    for project in (PROJECT, number):
        again = em.http.get(
            f"{em.base_url}/v1beta1/projects/{project}/locations/{LOCATION}/tuningJobs/{job_id}"
        )
        assert again.json()["name"] == job["name"]


def test_job_runs_then_succeeds_with_results(em):
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    job = em.create_job(
        TRAIN, supervisedTuningSpec={"trainingDatasetUri": TRAIN, "hyperParameters": {"epochCount": 2}}
    )
    running = em.wait_for_state(job["name"], "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED")
    assert "startTime" in running and running["experiment"].endswith(
        "/metadataStores/default/contexts/" + ("tuning-experiment-" + job["name"].rsplit("/", 1)[1])
    )
    done = em.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED")
    assert_matches_schema(done, "TuningJob")
    stats = done["tuningDataStats"]["supervisedTuningDataStats"]
    assert stats["tuningDatasetExampleCount"] == "10"
    assert stats["tuningStepCount"] == "4"  # 10 examples in batches of 8, twice
    assert int(stats["totalBillableTokenCount"]) == 2 * (
        int(stats["userInputTokenDistribution"]["sum"]) + int(stats["userOutputTokenDistribution"]["sum"])
    )
    model = done["tunedModel"]
    assert model["model"].endswith("@1") and "/models/" in model["model"]
    assert [c["epoch"] for c in model["checkpoints"]] == ["1", "2"]
    assert model["checkpoints"][-1]["endpoint"] == model["endpoint"]
    assert done["supervisedTuningSpec"]["hyperParameters"] == {
        "epochCount": "2",
        "learningRateMultiplier": 1.0,
        "adapterSize": "ADAPTER_SIZE_EIGHT",
    }
    assert done["endTime"] >= done["startTime"] >= done["createTime"]


def test_export_last_checkpoint_only_gives_only_the_last_checkpoint(em):
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    spec = {"trainingDatasetUri": TRAIN, "exportLastCheckpointOnly": True}
    job = em.create_job(TRAIN, supervisedTuningSpec=spec)
    done = em.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED")
    (last,) = done["tunedModel"]["checkpoints"]
    assert last["epoch"] == done["supervisedTuningSpec"]["hyperParameters"]["epochCount"]
    assert last["endpoint"] == done["tunedModel"]["endpoint"]


def test_snake_case_and_integer_enums_are_accepted(em):
    body = {
        "base_model": "gemini-3.1-flash-lite",
        "supervised_tuning_spec": {
            "training_dataset_uri": TRAIN,
            "hyper_parameters": {"epoch_count": 3, "adapter_size": 2, "learning_rate_multiplier": "0.5"},
        },
    }
    response = post(em, body)
    assert response.status_code == 200, response.text
    params = response.json()["supervisedTuningSpec"]["hyperParameters"]
    assert params == {"epochCount": "3", "adapterSize": "ADAPTER_SIZE_FOUR", "learningRateMultiplier": 0.5}


def test_integer_enum_encoding_is_honoured_on_output(em):
    response = post(em, job_body(TRAIN), "v1beta1", **{"$alt": "json;enum-encoding=int"})
    assert response.json()["state"] == 2  # JOB_STATE_PENDING in the proto's numbering
    response = em.http.get(
        f"{em.base_url}/v1/{response.json()['name']}", params={"alt": "json", "prettyPrint": "true"}
    )
    assert response.json()["state"] == "JOB_STATE_PENDING"
    assert "\n" in response.text  # prettyPrint


def test_identical_creates_make_two_jobs(em):
    first, second = post(em, job_body(TRAIN)).json(), post(em, job_body(TRAIN)).json()
    assert first["name"] != second["name"]
    listed = em.http.get(f"{em.parent()}/tuningJobs").json()["tuningJobs"]
    assert {job["name"] for job in listed} == {first["name"], second["name"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"supervisedTuningSpec": {"trainingDatasetUri": TRAIN}}, "base_model"),
        (
            {"baseModel": "gemini-9-ultra", "supervisedTuningSpec": {"trainingDatasetUri": TRAIN}},
            "base_model",
        ),
        ({"baseModel": "gemini-3.1-flash-lite"}, "supervised_tuning_spec"),
        ({"baseModel": "gemini-3.1-flash-lite", "supervisedTuningSpec": {}}, "training_dataset_uri"),
        (job_body("s3://bucket/x.jsonl"), "training_dataset_uri"),
        (job_body("gs://b/../../etc/passwd"), "training_dataset_uri"),
        (job_body(TRAIN, tunedModelDisplayName="x" * 129), "tuned_model_display_name"),
        (job_body(TRAIN, labels={"Team": "ml"}), "labels"),
        (job_body(TRAIN, labels={"team": "M L"}), "labels"),
        (job_body(TRAIN, encryptionSpec={"kmsKeyName": "my-key"}), "kms_key_name"),
        (
            job_body(
                TRAIN,
                encryptionSpec={"kmsKeyName": "projects/p/locations/europe-west4/keyRings/r/cryptoKeys/k"},
            ),
            "kms_key_name",
        ),
        (job_body(TRAIN, serviceAccount="not-an-email"), "service_account"),
        (
            {
                "baseModel": "translation-llm-002",
                "supervisedTuningSpec": {
                    "trainingDatasetUri": TRAIN,
                    "hyperParameters": {"adapterSize": "ADAPTER_SIZE_SIXTEEN"},
                },
            },
            "adapter_size",
        ),
        (
            {
                "baseModel": "gemini-3.1-flash-lite",
                "supervisedTuningSpec": {"trainingDatasetUri": TRAIN, "hyperParameters": {"epochCount": 0}},
            },
            "epoch_count",
        ),
        (
            {
                "baseModel": "gemini-3.1-flash-lite",
                "supervisedTuningSpec": {
                    "trainingDatasetUri": TRAIN,
                    "hyperParameters": {"learningRateMultiplier": -1},
                },
            },
            "learning_rate_multiplier",
        ),
        (
            {
                "baseModel": "gemini-3.1-flash-lite",
                "supervisedTuningSpec": {
                    "trainingDatasetUri": TRAIN,
                    "hyperParameters": {"epochCount": "three"},
                },
            },
            "epoch_count",
        ),
        ({**job_body(TRAIN), "surprise": 1}, "surprise"),
        (
            {
                "baseModel": "gemini-3.1-flash-lite",
                "supervisedTuningSpec": {"trainingDatasetUri": TRAIN, "epochs": 3},
            },
            "epochs",
        ),
    ],
)
def test_create_rejects_bad_input_naming_the_field(em, body, field):
    message = error_of(post(em, body), "INVALID_ARGUMENT", 400)
    assert field in message
    assert em.http.get(f"{em.parent()}/tuningJobs").json() == {}  # nothing was created


def test_adapter_size_message_is_the_services(em):
    body = job_body(TRAIN, baseModel="translation-llm-002")
    body["supervisedTuningSpec"] = {"trainingDatasetUri": TRAIN, "hyperParameters": {"adapterSize": 4}}
    assert "The adapter size is not supported for this base model." in error_of(
        post(em, body), "INVALID_ARGUMENT", 400
    )


def test_model_region_and_cmek_support_are_checked(em):
    gemini3 = job_body(TRAIN, baseModel="gemini-3.5-flash")
    wrong_region = em.http.post(f"{em.parent(location='asia-east1')}/tuningJobs", json=gemini3)
    assert "cannot be tuned in asia-east1" in error_of(wrong_region, "INVALID_ARGUMENT", 400)
    key = {"kmsKeyName": f"projects/p/locations/{LOCATION}/keyRings/r/cryptoKeys/k"}
    no_cmek = post(em, {**gemini3, "encryptionSpec": key})
    assert "customer-managed" in error_of(no_cmek, "INVALID_ARGUMENT", 400)
    assert post(em, job_body(TRAIN, baseModel="translation-llm-002", encryptionSpec=key)).status_code == 200


def test_get_unknown_job_is_not_found(em):
    assert "not found" in error_of(em.http.get(f"{em.parent()}/tuningJobs/123"), "NOT_FOUND", 404)
    job = em.create_job(TRAIN)
    other_location = job["name"].replace(LOCATION, "europe-west4")
    error_of(em.http.get(f"{em.base_url}/v1/{other_location}"), "NOT_FOUND", 404)


def test_list_pages_and_filters(em):
    names = [
        em.create_job(TRAIN, labels={"n": str(i), "kind": "odd" if i % 2 else "even"})["name"]
        for i in range(5)
    ]
    seen, token = [], None
    while True:
        params = {"pageSize": 2, **({"pageToken": token} if token else {})}
        page = em.http.get(f"{em.parent('v1beta1')}/tuningJobs", params=params).json()
        assert_matches_schema(page, "ListTuningJobsResponse", version="v1beta1")
        seen += [job["name"] for job in page["tuningJobs"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == names[::-1]  # newest first, each once
    odd = em.http.get(f"{em.parent()}/tuningJobs", params={"filter": 'labels.kind="odd"'}).json()[
        "tuningJobs"
    ]
    assert {job["labels"]["n"] for job in odd} == {"1", "3"}
    em.http.post(f"{em.base_url}/v1/{names[0]}:cancel")
    cancelling = em.http.get(
        f"{em.parent()}/tuningJobs", params={"filter": 'state="JOB_STATE_CANCELLING" AND labels.kind="even"'}
    ).json()["tuningJobs"]
    assert [job["name"] for job in cancelling] == [names[0]]
    bad = em.http.get(f"{em.parent()}/tuningJobs", params={"filter": "display_name:foo"})
    assert "filter" in error_of(bad, "INVALID_ARGUMENT", 400)
    bad_token = em.http.get(f"{em.parent()}/tuningJobs", params={"pageToken": "nope"})
    assert "page_token" in error_of(bad_token, "INVALID_ARGUMENT", 400)


def test_cancel_semantics(em):
    job = em.create_job(TRAIN)
    cancel = em.http.post(f"{em.base_url}/v1/{job['name']}:cancel")  # empty body
    assert cancel.status_code == 200 and cancel.json() == {}
    again = em.http.post(f"{em.base_url}/v1beta1/{job['name']}:cancel", json={})
    assert again.status_code == 200
    assert em.get_job(job["name"])["state"] == "JOB_STATE_CANCELLING"
    done = em.wait_for_state(job["name"], "JOB_STATE_CANCELLED")
    assert_matches_schema(done, "TuningJob")
    assert done["error"]["code"] == 1 and "tunedModel" not in done and "endTime" in done
    terminal = em.http.post(f"{em.base_url}/v1/{job['name']}:cancel", json={})
    assert "cannot be cancelled" in error_of(terminal, "FAILED_PRECONDITION", 400)
    error_of(em.http.post(f"{em.parent()}/tuningJobs/42:cancel"), "NOT_FOUND", 404)
    error_of(
        em.http.post(f"{em.base_url}/v1/{job['name']}:cancel", json={"force": True}), "INVALID_ARGUMENT", 400
    )


def _failure(em, text, uri="gs://bucket/bad.jsonl", **extra):
    em.write_object(uri, text)
    job = em.create_job(uri, **extra)
    done = em.wait_for_state(job["name"], "JOB_STATE_FAILED", "JOB_STATE_SUCCEEDED")
    assert done["state"] == "JOB_STATE_FAILED", done
    assert_matches_schema(done, "TuningJob")
    assert "tunedModel" not in done and "experiment" not in done
    assert done["error"]["code"] == 3
    return done["error"]["message"]


def test_dataset_problems_fail_the_job_naming_the_line(em):
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    good = sample_dataset(3).splitlines()
    bad_roles = json.dumps(
        {"contents": [{"role": "user", "parts": [{"text": "a"}]}, {"role": "user", "parts": [{"text": "b"}]}]}
    )
    message = _failure(em, "\n".join([*good, bad_roles]) + "\n")
    assert "line 4" in message and "alternate" in message and "gs://bucket/bad.jsonl" in message
    assert "line 2" in _failure(em, good[0] + "\n{not json\n", uri="gs://bucket/b2.jsonl")
    empty = json.dumps(
        {"contents": [{"role": "user", "parts": []}, {"role": "model", "parts": [{"text": "x"}]}]}
    )
    assert "line 1" in _failure(em, empty + "\n", uri="gs://bucket/b3.jsonl")
    assert "does not exist" in _failure(
        em,
        "",
        uri="gs://bucket/b4.jsonl",
        supervisedTuningSpec={"trainingDatasetUri": "gs://bucket/missing.jsonl"},
    )


def test_a_format_the_model_does_not_take_fails_the_job(em, seed_emulator):
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    message = _failure(em, messages_dataset(3))
    assert "line 1" in message and "messages" in message
    # The legacy format's model retired in 2025: the emulator set back in time still tunes it.
    seed_emulator.write_object("gs://bucket/legacy.jsonl", messages_dataset(3))
    legacy = seed_emulator.create_job("gs://bucket/legacy.jsonl", baseModel="gemini-1.0-pro-002")
    assert (
        seed_emulator.wait_for_state(legacy["name"], "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED")["state"]
        == "JOB_STATE_SUCCEEDED"
    )


def test_an_invalid_validation_dataset_fails_the_job_too(em):
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    em.write_object("gs://bucket/val.jsonl", '{"contents": "nope"}\n')
    spec = {"trainingDatasetUri": TRAIN, "validationDatasetUri": "gs://bucket/val.jsonl"}
    message = _failure(em, sample_dataset(2), supervisedTuningSpec=spec)
    assert message.startswith("Validation dataset gs://bucket/val.jsonl") and "line 1" in message


def test_continuous_tuning_gives_the_next_model_version(em):
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    first = em.wait_for_state(em.create_job(TRAIN)["name"], "JOB_STATE_SUCCEEDED")
    model = first["tunedModel"]["model"]
    for tuned_model_name, version in ((model, "@2"), (model.rsplit("@", 1)[0], "@3")):
        body = {
            "preTunedModel": {"tunedModelName": tuned_model_name},
            "supervisedTuningSpec": {"trainingDatasetUri": TRAIN},
        }
        response = post(em, body)
        assert response.status_code == 200, response.text
        done = em.wait_for_state(response.json()["name"], "JOB_STATE_SUCCEEDED")
        assert done["tunedModel"]["model"] == model.rsplit("@", 1)[0] + version
        assert done["preTunedModel"]["baseModel"] == "gemini-3.1-flash-lite"
        assert_matches_schema(done, "TuningJob")
    unknown = {
        "preTunedModel": {"tunedModelName": model.rsplit("/", 1)[0] + "/999"},
        "supervisedTuningSpec": {"trainingDatasetUri": TRAIN},
    }
    assert "pre_tuned_model" in error_of(post(em, unknown), "INVALID_ARGUMENT", 400)


def test_output_only_fields_in_a_create_are_ignored(em):
    body = job_body(TRAIN, state="JOB_STATE_SUCCEEDED", name="projects/x/locations/y/tuningJobs/1")
    job = post(em, body).json()
    assert job["state"] == "JOB_STATE_PENDING" and job["name"].endswith(job["name"].rsplit("/", 1)[1])
    assert not job["name"].endswith("/tuningJobs/1")


def test_over_long_examples_are_dropped_and_counted_in_the_stats(em):
    """translation-llm-002 takes at most 1,000 tokens per example (the supervised-tuning page)."""
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    long_line = json.dumps(
        {
            "contents": [
                {"role": "user", "parts": [{"text": "q"}]},
                {"role": "model", "parts": [{"text": " ".join(["word"] * 1_001)}]},
            ]
        }
    )
    em.write_object("gs://bucket/long.jsonl", sample_dataset(1) + long_line + "\n")
    job = em.create_job("gs://bucket/long.jsonl", baseModel="translation-llm-002")
    done = em.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED")
    assert_matches_schema(done, "TuningJob")
    stats = done["tuningDataStats"]["supervisedTuningDataStats"]
    assert stats["tuningDatasetExampleCount"] == "2"
    assert stats["totalTruncatedExampleCount"] == "1"
    assert stats["truncatedExampleIndices"] == ["2"]
    assert "at most 1000" in stats["droppedExampleReasons"][0]
