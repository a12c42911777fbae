"""Nothing is lost: the emulator as a subprocess, stopped cleanly or killed, comes back with every job."""

from __future__ import annotations

import pytest

from support.discovery import assert_matches_schema
from support.emulator import sample_dataset, schema_checked_client
from vertex_tuning.emulator.server import EmulatorServer

TRAIN = "gs://r/train.jsonl"
pytestmark = pytest.mark.slow


def test_jobs_survive_a_clean_restart_and_carry_on(emulator_process):
    emulator_process.write_object(TRAIN, sample_dataset(6))
    finished = emulator_process.create_job(TRAIN)
    emulator_process.wait_for_state(finished["name"], "JOB_STATE_SUCCEEDED")
    emulator_process.admin.set_job_seconds(3)
    running = emulator_process.create_job(TRAIN)
    cancelled = emulator_process.create_job(TRAIN)
    emulator_process.http.post(f"{emulator_process.base_url}/v1/{cancelled['name']}:cancel")
    before = emulator_process.get_job(finished["name"])

    assert emulator_process.restart() is emulator_process
    assert emulator_process.get_job(finished["name"]) == before
    listed = emulator_process.http.get(f"{emulator_process.parent()}/tuningJobs").json()["tuningJobs"]
    assert [job["name"] for job in listed] == [cancelled["name"], running["name"], finished["name"]]
    # The running job keeps its own duration and finishes on the clock after the restart.
    done = emulator_process.wait_for_state(running["name"], "JOB_STATE_SUCCEEDED", timeout=30)
    assert_matches_schema(done, "TuningJob")
    assert emulator_process.wait_for_state(cancelled["name"], "JOB_STATE_CANCELLED")["error"]["code"] == 1


def test_a_killed_emulator_loses_nothing(emulator_process):
    emulator_process.write_object(TRAIN, sample_dataset(6))
    names = [emulator_process.create_job(TRAIN)["name"] for _ in range(3)]
    emulator_process.kill()
    emulator_process.start()
    for name in names:
        assert emulator_process.wait_for_state(name, "JOB_STATE_SUCCEEDED")["name"] == name
    # Endpoints made before the kill answer after it.
    endpoint = emulator_process.get_job(names[0])["tunedModel"]["endpoint"]
    body = {"contents": [{"role": "user", "parts": [{"text": "tell me about weather"}]}]}
    answer = emulator_process.http.post(
        f"{emulator_process.base_url}/v1/{endpoint}:generateContent", json=body
    )
    assert answer.status_code == 200


def test_a_clean_stop_exits_zero(emulator_process):
    assert emulator_process.stop() == 0


def test_in_process_restart_on_the_same_state_file(tmp_path):
    state = tmp_path / "state.sqlite3"
    http = schema_checked_client()
    with EmulatorServer(tmp_path / "data", state_file=state, job_seconds=1) as first:
        response = http.post(
            f"{first.base_url}/v1/projects/p/locations/us-central1/tuningJobs",
            json={
                "baseModel": "gemini-3.1-flash-lite",
                "supervisedTuningSpec": {"trainingDatasetUri": TRAIN},
            },
        )
        name = response.json()["name"]
    with EmulatorServer(tmp_path / "data", state_file=state, job_seconds=1) as second:
        assert http.get(f"{second.base_url}/v1/{name}").json()["name"] == name
