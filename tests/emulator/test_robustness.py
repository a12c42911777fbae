"""Bad input never crashes the emulator: malformed bodies, wrong types, huge bodies, odd routes, fuzz."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.discovery import assert_error_envelope, assert_matches_schema
from support.emulator import job_body, sample_dataset

TRAIN = "gs://z/train.jsonl"
FUZZ = settings(
    max_examples=int(os.environ.get("EMULATOR_FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=os.environ.get("EMULATOR_FUZZ_RANDOM") is None,  # deterministic in CI; random on request
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def assert_google_error(response: httpx.Response) -> None:
    assert response.status_code in (400, 404, 413), response.text
    body = response.json()
    assert_error_envelope(body, body["error"]["status"], response.status_code)


def still_serving(em) -> None:
    assert em.http.get(f"{em.parent()}/tuningJobs").status_code == 200


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[]", b"null", b'"text"', b"\xff\xfe", b'{"baseModel": }', b"{}" * 3, b'{"a":' + b"[" * 100_000],
)
def test_malformed_json_is_a_400(emulator, raw):
    response = emulator.http.post(f"{emulator.parent()}/tuningJobs", content=raw)
    assert response.status_code == 400
    assert_error_envelope(response.json(), "INVALID_ARGUMENT", 400)
    still_serving(emulator)


@pytest.mark.parametrize(
    "body",
    [
        {"baseModel": 5, "supervisedTuningSpec": {"trainingDatasetUri": TRAIN}},
        {"baseModel": "gemini-3.1-flash-lite", "supervisedTuningSpec": "gs://x"},
        {"baseModel": "gemini-3.1-flash-lite", "supervisedTuningSpec": {"trainingDatasetUri": [TRAIN]}},
        {**job_body(TRAIN), "labels": ["a"]},
        {**job_body(TRAIN), "labels": {"a": 1}},
        {"baseModel": "gemini-3.1-flash-lite", "supervisedTuningSpec": {"trainingDatasetUri": TRAIN,
         "hyperParameters": {"adapterSize": 99}}},
        {"baseModel": "gemini-3.1-flash-lite", "supervisedTuningSpec": {"trainingDatasetUri": TRAIN,
         "hyperParameters": {"epochCount": 1.5}}},
    ],
)  # fmt: skip
def test_wrong_types_are_a_400_naming_the_field(emulator, body):
    response = emulator.http.post(f"{emulator.parent()}/tuningJobs", json=body)
    assert response.status_code == 400
    assert_error_envelope(response.json(), "INVALID_ARGUMENT", 400)
    assert "Invalid value at 'tuning_job." in response.json()["error"]["message"]


def test_oversized_bodies_are_a_413(emulator):
    big = json.dumps({**job_body(TRAIN), "description": "x" * (9 * 1024 * 1024)})
    response = emulator.http.post(f"{emulator.parent()}/tuningJobs", content=big)
    assert response.status_code == 413
    assert_error_envelope(response.json(), "INVALID_ARGUMENT", 413)
    still_serving(emulator)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 404),
        ("GET", "/v2/projects/p/locations/us-central1/tuningJobs", 404),
        ("GET", "/v1/projects/p/locations/us-central1/models", 404),
        ("DELETE", "/v1/projects/p/locations/us-central1/tuningJobs/1", 404),
        ("PATCH", "/v1/projects/p/locations/us-central1/tuningJobs/1", 404),
        ("GET", "/v1/projects/p/locations/us-central1/tuningJobs/1:cancel", 404),
        ("GET", "/v1/projects/P!/locations/us-central1/tuningJobs", 404),
        ("GET", "/v1/projects/p/locations/us-central1/tuningJobs/abc", 404),
    ],
)
def test_unknown_routes_and_methods(emulator, method, path, status):
    response = emulator.http.request(method, emulator.base_url + path)
    assert response.status_code == status
    assert_google_error(response)


def test_unknown_query_parameters_are_refused_but_system_ones_tolerated(emulator):
    url = f"{emulator.parent()}/tuningJobs"
    assert emulator.http.get(url, params={"orderBy": "createTime"}).status_code == 400
    tolerated = {
        "alt": "json",
        "$alt": "json;enum-encoding=int",
        "fields": "tuningJobs",
        "prettyPrint": "false",
    }
    assert emulator.http.get(url, params=tolerated).status_code == 200
    assert emulator.http.get(url, params={"pageSize": "many"}).status_code == 400


def assert_answer_or_google_error(response: httpx.Response, schema: str) -> None:
    """Fuzzed input gets either a well-formed answer or Google's error envelope, never anything else."""
    if response.status_code == 200:
        assert_matches_schema(response.json(), schema)
    else:
        assert_google_error(response)


@FUZZ
@given(body=JSON)
def test_fuzz_create_with_any_json(emulator, body):
    response = emulator.http.post(f"{emulator.parent()}/tuningJobs", json=body)
    assert_answer_or_google_error(response, "TuningJob")


@FUZZ
@given(
    spec=st.dictionaries(
        st.sampled_from(
            [
                "trainingDatasetUri",
                "validationDatasetUri",
                "hyperParameters",
                "exportLastCheckpointOnly",
                "training_dataset_uri",
            ]
        ),
        JSON,
        max_size=4,
    ),
    labels=JSON,
)
def test_fuzz_create_with_near_valid_bodies(emulator, spec, labels):  # fmt: skip
    body = {"baseModel": "gemini-3.1-flash-lite", "supervisedTuningSpec": spec, "labels": labels}
    response = emulator.http.post(f"{emulator.parent()}/tuningJobs", json=body)
    assert_answer_or_google_error(response, "TuningJob")


@FUZZ
@given(
    segment=st.text(st.characters(codec="ascii", exclude_characters="/?#"), min_size=1, max_size=30),
    method=st.sampled_from(["GET", "POST"]),
    raw=st.binary(max_size=64),
)
def test_fuzz_paths_and_raw_bodies(emulator, segment, method, raw):
    url = f"{emulator.parent()}/tuningJobs/{segment}"
    try:
        response = emulator.http.request(method, url, content=raw)
    except httpx.InvalidURL:
        return  # the client refused to send it
    if response.status_code != 200:
        assert_google_error(response)
    still_serving(emulator)


def tuned_job(em) -> dict:
    """One SUCCEEDED job per emulator, made on first use (hypothesis reuses the fixture)."""
    if not hasattr(em, "fuzz_job"):
        em.write_object(TRAIN, sample_dataset(3))
        em.fuzz_job = em.wait_for_state(em.create_job(TRAIN)["name"], "JOB_STATE_SUCCEEDED")
    return dict(em.fuzz_job)


def tuned_endpoint(em) -> str:
    return f"{em.base_url}/v1/{tuned_job(em)['tunedModel']['endpoint']}"


@FUZZ
@given(body=JSON, mask=st.none() | st.text(max_size=30))
def test_fuzz_model_patch(emulator, body, mask):
    url = f"{emulator.base_url}/v1/{tuned_job(emulator)['tunedModel']['model']}"
    response = emulator.http.patch(url, json=body, params={"updateMask": mask} if mask is not None else {})
    assert_answer_or_google_error(response, "Model")


@FUZZ
@given(body=JSON)
def test_fuzz_count_tokens_and_context_patch(emulator, body):
    counted = emulator.http.post(f"{tuned_endpoint(emulator)}:countTokens", json=body)
    assert_answer_or_google_error(counted, "CountTokensResponse")
    patched = emulator.http.patch(f"{emulator.base_url}/v1/{tuned_job(emulator)['experiment']}", json=body)
    assert_answer_or_google_error(patched, "Context")


@FUZZ
@given(
    text=st.text(max_size=60)
    | st.lists(
        st.sampled_from(
            [
                "state",
                "labels.a",
                "create_time",
                "=",
                "!=",
                ":",
                "<",
                "AND",
                "OR",
                "NOT",
                "-",
                "(",
                ")",
                '"x"',
                "*",
                '"JOB_STATE_RUNNING"',
                '"2026-01-01T00:00:00Z"',
            ]
        ),
        max_size=8,
    ).map(" ".join)
)
def test_fuzz_list_filters(emulator, text):  # fmt: skip
    response = emulator.http.get(f"{emulator.parent()}/tuningJobs", params={"filter": text})
    assert_answer_or_google_error(response, "ListTuningJobsResponse")


@FUZZ
@given(contents=JSON, config=JSON, system=JSON)
def test_fuzz_generate_content(emulator, contents, config, system):
    body = {"contents": contents, "generationConfig": config, "systemInstruction": system}
    response = emulator.http.post(f"{tuned_endpoint(emulator)}:generateContent", json=body)
    assert_answer_or_google_error(response, "GenerateContentResponse")


@FUZZ
@given(
    text=st.text(max_size=200),
    config=st.fixed_dictionaries(
        {},
        optional={
            "maxOutputTokens": st.integers(-2, 50),
            "candidateCount": st.integers(-1, 9),
            "stopSequences": st.lists(st.text(max_size=5), max_size=6),
            "temperature": st.floats(-1, 3),
        },
    ),
)
def test_fuzz_generate_content_settings(emulator, text, config):  # fmt: skip
    body = {"contents": [{"role": "user", "parts": [{"text": text}]}], "generationConfig": config}
    response = emulator.http.post(f"{tuned_endpoint(emulator)}:generateContent", json=body)
    if response.status_code == 200:
        answer = response.json()
        assert_matches_schema(answer, "GenerateContentResponse")
        assert len(answer["candidates"]) == config.get("candidateCount", 1)
    else:
        assert_google_error(response)


def test_many_concurrent_clients(emulator):
    emulator.write_object(TRAIN, sample_dataset(3))

    def client(index: int) -> list[str]:
        with httpx.Client() as http:
            names = []
            for attempt in range(5):
                body = job_body(TRAIN, labels={"client": str(index), "attempt": str(attempt)})
                created = http.post(f"{emulator.parent()}/tuningJobs", json=body)
                assert created.status_code == 200, created.text
                names.append(created.json()["name"])
                assert http.get(f"{emulator.base_url}/v1/{names[-1]}").status_code == 200
            return names

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(client, range(16)))
    names = [name for names in results for name in names]
    assert len(set(names)) == 80
    listed = emulator.http.get(f"{emulator.parent()}/tuningJobs", params={"pageSize": 300}).json()[
        "tuningJobs"
    ]
    assert {job["name"] for job in listed} == set(names)
    assert emulator.admin.stats()["requests"]["tuningJobs.create"] == 80
