"""The discovery sweep: every field the v1 and v1beta1 documents declare for a served request is
sent, in camelCase and in snake_case, and none may come back "Unknown name" or "Invalid value"
(a request may still be refused for what its values mean: that is not a reading problem)."""

from __future__ import annotations

import re

import pytest

from support.discovery import FullSample, method_query_parameters
from support.emulator import FAST_JOB_SECONDS, sample_dataset

TRAIN = "gs://bucket/sweep/train.jsonl"
_UNKNOWN = re.compile(r'Unknown name "([^"]+)"')
QUERY_METHODS = (
    "tuningJobs.list", "tuningJobs.get", "models.get", "endpoints.get", "metadataStores.contexts.list",
    "metadataStores.contexts.get", "tensorboards.get", "tensorboards.batchRead",
    "tensorboards.experiments.get",
    "tensorboards.experiments.runs.list", "tensorboards.experiments.runs.get",
    "tensorboards.experiments.runs.timeSeries.list", "tensorboards.experiments.runs.timeSeries.get",
    "tensorboards.experiments.runs.timeSeries.read",
)  # fmt: skip


@pytest.fixture(scope="module")
def counts():
    tally: dict[str, list[int]] = {}
    yield tally
    for key, (sent, accepted) in sorted(tally.items()):
        print(f"discovery sweep {key}: {sent} fields sent, {accepted} accepted")


@pytest.fixture
def done(emulator):
    emulator.admin.set_job_seconds(FAST_JOB_SECONDS)
    emulator.write_object(TRAIN, sample_dataset(6))
    job = emulator.wait_for_state(emulator.create_job(TRAIN)["name"], "JOB_STATE_SUCCEEDED")
    return emulator, job


def reading_problems(response) -> list[str]:
    if response.status_code == 200:
        return []
    message = response.json()["error"]["message"]
    return [line for line in message.splitlines() if "Unknown name" in line or "Invalid value" in line]


def requests_for(em, job, version, sample):
    """(method, url, body) of each served request whose body the discovery document declares."""
    base = f"{em.base_url}/{version}"
    context = job["experiment"]
    endpoint = job["tunedModel"]["endpoint"]
    yield "POST", f"{em.parent(version)}/tuningJobs", sample.message("TuningJob")
    yield "POST", f"{base}/{endpoint}:generateContent", sample.message("GenerateContentRequest")
    yield "POST", f"{base}/{endpoint}:streamGenerateContent", sample.message("GenerateContentRequest")
    yield "POST", f"{base}/{endpoint}:countTokens", sample.message("CountTokensRequest")
    yield "PATCH", f"{base}/{job['tunedModel']['model']}", sample.message("Model")
    yield "PATCH", f"{base}/{context}", sample.message("Context")
    yield "POST", f"{base}/{job['name']}:cancel", sample.message("CancelTuningJobRequest")


@pytest.mark.parametrize("snake_case", [False, True], ids=["camelCase", "snake_case"])
@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_every_declared_request_field_is_accepted(done, counts, version, snake_case):
    em, job = done
    sample = FullSample(version, snake_case=snake_case)
    unknown: set[str] = set()
    problems = []
    for method, url, body in requests_for(em, job, version, sample):
        response = em.http.request(method, url, json=body)
        assert response.status_code in (200, 400, 404), response.text
        found = reading_problems(response)
        problems += [f"{method} {url}: {line}" for line in found]
        unknown |= {name for line in found for name in _UNKNOWN.findall(line)}
    accepted = {pair for pair in sample.fields if pair[1] not in unknown}
    counts[f"{version} {'snake_case' if snake_case else 'camelCase'}"] = [len(sample.fields), len(accepted)]
    assert not problems, "\n".join(problems[:20])
    assert len(sample.fields) > 300  # the sweep reached deep into the messages


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_every_declared_query_parameter_is_taken(done, counts, version):
    em, job = done
    context = em.get_job(job["name"])["experiment"]
    board = em.http.get(f"{em.base_url}/{version}/{context}").json()["metadata"][
        "backing_tensorboard_resource"
    ]
    experiment = f"{board}/experiments/{context.rsplit('/', 1)[1]}"
    run = f"{experiment}/runs/tuning"
    series = f"{run}/timeSeries/train-total-loss"
    paths = {
        "tuningJobs.list": f"{job['name'].rsplit('/', 1)[0]}",
        "tuningJobs.get": job["name"],
        "models.get": job["tunedModel"]["model"],
        "endpoints.get": job["tunedModel"]["endpoint"],
        "metadataStores.contexts.list": context.rsplit("/", 1)[0],
        "metadataStores.contexts.get": context,
        "tensorboards.get": board,
        "tensorboards.batchRead": f"{board}:batchRead",
        "tensorboards.experiments.get": experiment,
        "tensorboards.experiments.runs.list": f"{experiment}/runs",
        "tensorboards.experiments.runs.get": run,
        "tensorboards.experiments.runs.timeSeries.list": f"{run}/timeSeries",
        "tensorboards.experiments.runs.timeSeries.get": series,
        "tensorboards.experiments.runs.timeSeries.read": f"{series}:read",
    }
    sent = accepted = 0
    for method in QUERY_METHODS:
        declared = method_query_parameters(method, version)
        params = {name: "1" if spec.get("type") == "integer" else "x" for name, spec in declared.items()}
        if method == "tensorboards.batchRead":
            params["timeSeries"] = series
        response = em.http.get(f"{em.base_url}/{version}/{paths[method]}", params=params)
        refused = {name for line in reading_problems(response) for name in _UNKNOWN.findall(line)}
        sent += len(params)
        accepted += len(set(params) - refused)
        assert not refused, (method, response.text)
    counts[f"{version} query parameters"] = [sent, accepted]


def test_the_sweep_catches_what_a_version_does_not_declare(done):
    em, _ = done
    beta_only = set(FullSample("v1beta1").message("TuningJob") or {}) - set(
        FullSample("v1").message("TuningJob") or {}
    )
    response = em.http.post(f"{em.parent('v1')}/tuningJobs", json=FullSample("v1beta1").message("TuningJob"))
    top_level = {
        name
        for line in reading_problems(response)
        if "at 'tuning_job':" in line
        for name in _UNKNOWN.findall(line)
    }
    assert beta_only and top_level == beta_only
