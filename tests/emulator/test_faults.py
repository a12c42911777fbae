"""Faults on demand through the admin client and CLI flags: bursts, latency, dropped answers, stuck jobs."""

from __future__ import annotations

import httpx
import pytest

from support.discovery import assert_error_envelope
from support.emulator import FAST_JOB_SECONDS, EmulatorProcess, job_body, sample_dataset
from vertex_tuning.emulator.faults import Fault, parse_fault
from vertex_tuning.wire import JobState

TRAIN = "gs://f/train.jsonl"


@pytest.fixture
def em(emulator):
    emulator.write_object(TRAIN, sample_dataset(4))
    return emulator


def test_a_burst_of_503_with_retry_after_then_recovery(em):
    job = em.create_job(TRAIN)
    em.admin.fail_requests("tuningJobs.get", 503, times=2, retry_after=2)
    url = f"{em.base_url}/v1/{job['name']}"
    for _ in range(2):
        response = em.http.get(url)
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        assert_error_envelope(response.json(), "UNAVAILABLE", 503)
    assert em.http.get(url).status_code == 200
    assert em.admin.request_count("tuningJobs.get") == 3


def test_429_on_create_commits_nothing_and_other_routes_are_untouched(em):
    em.admin.add_fault("tuningJobs.create", status=429, retry_after=1, times=None)
    response = em.http.post(f"{em.parent()}/tuningJobs", json=job_body(TRAIN))
    assert response.status_code == 429
    assert_error_envelope(response.json(), "RESOURCE_EXHAUSTED", 429)
    assert em.http.get(f"{em.parent()}/tuningJobs").json() == {}
    assert len(em.admin.faults()) == 1  # `times=None` keeps it in force
    em.admin.clear_faults()
    assert em.http.post(f"{em.parent()}/tuningJobs", json=job_body(TRAIN)).status_code == 200


def test_latency_is_added_and_used_up(em):
    em.admin.add_latency("tuningJobs.list", 0.05, times=1)
    assert em.http.get(f"{em.parent()}/tuningJobs").status_code == 200
    assert em.admin.faults() == []


def test_a_dropped_create_still_commits_the_job(em):
    em.admin.drop_next_create()
    with pytest.raises(httpx.RemoteProtocolError):  # the body never completes
        em.http.post(f"{em.parent()}/tuningJobs", json=job_body(TRAIN, labels={"try": "one"}))
    listed = em.http.get(f"{em.parent()}/tuningJobs").json()["tuningJobs"]
    assert [job["labels"] for job in listed] == [{"try": "one"}]
    assert em.http.post(f"{em.parent()}/tuningJobs", json=job_body(TRAIN)).status_code == 200  # used up
    assert em.admin.stats()["jobs"] == 2


def test_stuck_and_failing_jobs(em):
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    em.admin.stick_next_job(JobState.PENDING)
    pending = em.create_job(TRAIN)
    running = em.create_job(TRAIN)
    em.admin.stick_job(running["name"], JobState.RUNNING)
    em.admin.fail_next_job("Failed to create endpoint. Tuned model is uploaded.")
    failing = em.create_job(TRAIN)
    done = em.wait_for_state(failing["name"], "JOB_STATE_FAILED")
    assert done["error"] == {"code": 13, "message": "Failed to create endpoint. Tuned model is uploaded."}
    assert em.get_job(pending["name"])["state"] == "JOB_STATE_PENDING"
    assert em.get_job(running["name"])["state"] == "JOB_STATE_RUNNING"
    stats = em.admin.stats()["jobsByState"]
    assert stats == {"JOB_STATE_PENDING": 1, "JOB_STATE_RUNNING": 1, "JOB_STATE_FAILED": 1}
    em.admin.stick_job(running["name"], None)
    assert em.wait_for_state(running["name"], "JOB_STATE_SUCCEEDED")
    em.admin.fail_job(pending["name"], "quota")
    em.admin.stick_job(pending["name"], None)
    assert em.wait_for_state(pending["name"], "JOB_STATE_FAILED")["error"]["message"] == "quota"


def test_admin_routes_reject_bad_input_and_live_apart_from_the_api(em):
    bad = httpx.post(f"{em.base_url}/_emulator/faults", json={"route": "tuningJobs.get", "kind": "explode"})
    assert bad.status_code == 400
    drop_on_get = em.http.post(
        f"{em.base_url}/_emulator/faults", json={"route": "tuningJobs.get", "kind": "drop_after_commit"}
    )
    assert drop_on_get.status_code == 400
    assert (
        httpx.post(f"{em.base_url}/_emulator/next-job", json={"stuck": "JOB_STATE_SUCCEEDED"}).status_code
        == 400
    )
    assert httpx.put(f"{em.base_url}/_emulator/settings", json={"jobSeconds": 0}).status_code == 400
    assert em.http.get(f"{em.base_url}/v1/_emulator/stats").status_code == 404


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "tuningJobs.get:status=503,times=3,retry_after=1",
            Fault(route="tuningJobs.get", retry_after=1, times=3),
        ),
        ("*:latency=0.2,times=0", Fault(route="*", kind="latency", seconds=0.2, times=None)),
        ("tuningJobs.create:drop_after_commit", Fault(route="tuningJobs.create", kind="drop_after_commit")),
        ("tuningJobs.list:status=429", Fault(route="tuningJobs.list", status=429)),
        (
            "tuningJobs.create:commit_late=10",
            Fault(route="tuningJobs.create", kind="commit_late", seconds=10, status=504),
        ),
        (
            "tuningJobs.create:status=500,commit_late=2",
            Fault(route="tuningJobs.create", kind="commit_late", seconds=2, status=500),
        ),
        (
            "tuningJobs.create:garble_after_commit,message=<html>",
            Fault(route="tuningJobs.create", kind="garble_after_commit", message="<html>"),
        ),
    ],
)
def test_fault_flags_parse(spec, expected):
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "nocolon",
        "tuningJobs.get:boom",
        "tuningJobs.get:status=200",
        "x:latency=abc",
        "tuningJobs.get:commit_late=5",
    ],
)
def test_bad_fault_flags_are_refused(spec):
    with pytest.raises(ValueError):
        parse_fault(spec)


@pytest.mark.slow
def test_cli_fault_flags_apply_from_the_start(tmp_path):
    process = EmulatorProcess(
        tmp_path, extra_args=("--fault", "tuningJobs.list:status=503,times=1,retry_after=3")
    )
    process.start()
    try:
        first = process.http.get(f"{process.parent()}/tuningJobs")
        assert first.status_code == 503 and first.headers["Retry-After"] == "3"
        assert process.http.get(f"{process.parent()}/tuningJobs").status_code == 200
    finally:
        process.kill()
        process.close()


def test_next_job_controls_combine_and_job_verbs_take_their_own_field(em):
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    em.admin.stick_next_job(JobState.RUNNING)
    em.admin.fail_next_job("boom")
    job = em.create_job(TRAIN)
    assert em.wait_for_state(job["name"], "JOB_STATE_RUNNING")["state"] == "JOB_STATE_RUNNING"
    em.admin.stick_job(job["name"], None)
    assert em.wait_for_state(job["name"], "JOB_STATE_FAILED")["error"]["message"] == "boom"
    job_id = job["name"].rsplit("/", 1)[1]
    wrong = em.http.post(f"{em.base_url}/_emulator/jobs/{job_id}:stick", json={"fail": "x"})
    assert wrong.status_code == 400
    assert em.http.post(f"{em.base_url}/_emulator/jobs/1:fail", json={"fail": "x"}).status_code == 404
    running = em.create_job(TRAIN)
    em.admin.stick_job(running["name"], JobState.RUNNING)
    em.wait_for_state(running["name"], "JOB_STATE_RUNNING")
    with pytest.raises(httpx.HTTPStatusError):
        em.admin.stick_job(running["name"], JobState.PENDING)  # it has started
    em.admin.stick_job(running["name"], None)
    finished = em.http.post(f"{em.base_url}/_emulator/jobs/{job_id}:fail", json={"fail": "again"})
    assert finished.status_code == 400 and "finished" in finished.json()["error"]["message"]
