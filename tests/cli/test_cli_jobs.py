"""`vertex-tuning jobs list/get/cancel/watch` against the emulator, including bad input."""

from __future__ import annotations

import json
import socket

import pytest

from support.emulator import PROJECT
from vertex_tuning.wire import JobState


def job_id(job: dict) -> str:
    return job["name"].rsplit("/", 1)[-1]


def test_list_shows_every_job_in_a_table(cli, emulator):
    first = emulator.create_job(labels={"team": "support"})
    second = emulator.create_job(labels={"team": "search"})

    result = cli("jobs", "list")

    assert result.exit_code == 0, result.output
    assert job_id(first) in result.stdout and job_id(second) in result.stdout
    assert f"Tuning jobs in {PROJECT} / us-central1" in result.stdout
    # Ids are never wrapped, whatever the width of the terminal.
    rows = [line for line in result.stdout.splitlines() if job_id(first) in line or job_id(second) in line]
    assert len(rows) == 2


def test_list_filters_by_label_and_state(cli, emulator):
    support = emulator.create_job(labels={"team": "support"})
    search = emulator.create_job(labels={"team": "search"})
    emulator.wait_for_state(support["name"], "JOB_STATE_SUCCEEDED")
    emulator.wait_for_state(search["name"], "JOB_STATE_SUCCEEDED")
    running = emulator.create_job(labels={"team": "support"})
    emulator.admin.stick_job(running["name"], JobState.RUNNING)
    emulator.wait_for_state(running["name"], "JOB_STATE_RUNNING")

    labelled = json.loads(cli("jobs", "list", "--label", "team=support", "--json").stdout)
    succeeded = json.loads(cli("jobs", "list", "--state", "succeeded", "--json").stdout)
    both = json.loads(cli("jobs", "list", "--state", "RUNNING", "--label", "team=support", "--json").stdout)

    assert {job["name"] for job in labelled} == {support["name"], running["name"]}
    assert {job["name"] for job in succeeded} == {support["name"], search["name"]}
    assert [job["name"] for job in both] == [running["name"]]


def test_list_of_an_empty_location_says_so(cli):
    result = cli("jobs", "list")

    assert result.exit_code == 0
    assert "no jobs" in result.stdout


def test_list_rejects_bad_filters_with_exit_code_2(cli):
    unknown_state = cli("jobs", "list", "--state", "DONE")
    not_key_value = cli("jobs", "list", "--label", "team")
    unsafe_label = cli("jobs", "list", "--label", 'team=a" OR state="x')

    assert unknown_state.exit_code == 2 and "not a job state" in unknown_state.output
    assert not_key_value.exit_code == 2 and "KEY=VALUE" in not_key_value.output
    assert unsafe_label.exit_code == 2 and "label" in unsafe_label.stderr
    assert "Traceback" not in unsafe_label.output


def test_get_by_id_or_full_name(cli, emulator):
    job = emulator.create_job(tuned_model_display_name="support-bot")
    done = emulator.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED")

    by_id = cli("jobs", "get", job_id(job))
    by_name = json.loads(cli("jobs", "get", job["name"], "--json").stdout)

    assert by_id.exit_code == 0, by_id.output
    assert "SUCCEEDED" in by_id.stdout and "support-bot" in by_id.stdout
    assert "tuned model" in by_id.stdout and "endpoint" in by_id.stdout
    assert by_name["name"] == job["name"]
    assert by_name["state"] == "JOB_STATE_SUCCEEDED"
    assert by_name["tunedModel"] == done["tunedModel"]


@pytest.mark.parametrize(
    "args",
    [
        ("jobs", "get", "987654321"),
        ("prompt", "projects/test-project/locations/us-central1/endpoints/424242", "hello"),
    ],
    ids=["get-a-missing-job", "prompt-an-unknown-endpoint"],
)
def test_a_missing_job_or_endpoint_exits_1_with_the_services_message(cli, args):
    result = cli(*args)

    assert result.exit_code == 1
    assert "NOT_FOUND" in result.stderr
    assert "Traceback" not in result.output


def test_get_rejects_an_unsafe_name_before_any_request(cli, emulator):
    before = emulator.admin.request_count("tuningJobs.get")

    result = cli("jobs", "get", "projects/p/locations/us-central1.evil.com/tuningJobs/1")

    assert result.exit_code == 2
    assert "not valid" in result.stderr
    assert emulator.admin.request_count("tuningJobs.get") == before


def test_missing_project_is_a_usage_error(cli):
    result = cli("jobs", "list", GOOGLE_CLOUD_PROJECT=None)

    assert result.exit_code == 2
    assert "GOOGLE_CLOUD_PROJECT" in result.stderr


def test_project_and_location_options_win_over_the_environment(cli, emulator):
    job = emulator.create_job(version="v1")

    elsewhere = cli("--project", "other-project", "jobs", "list", "--json")
    here = cli("--project", PROJECT, "--location", "us-central1", "jobs", "list", "--json")

    assert json.loads(elsewhere.stdout) == []
    assert [item["name"] for item in json.loads(here.stdout)] == [job["name"]]


def test_cancel_a_running_job_and_wait_for_it(cli, emulator):
    job = emulator.create_job()
    emulator.admin.stick_job(job["name"], JobState.RUNNING)

    result = cli("jobs", "cancel", job["name"], "--wait")

    assert result.exit_code == 0, result.output
    assert "Cancellation requested" in result.stdout
    assert "CANCELLED" in result.stdout
    assert emulator.get_job(job["name"])["state"] == "JOB_STATE_CANCELLED"


def test_cancel_of_a_finished_job_exits_1(cli, emulator):
    job = emulator.create_job()
    emulator.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED")

    result = cli("jobs", "cancel", job_id(job))

    assert result.exit_code == 1
    assert "FAILED_PRECONDITION" in result.stderr
    assert emulator.get_job(job["name"])["state"] == "JOB_STATE_SUCCEEDED"


def test_watch_follows_a_job_to_success(cli, emulator):
    job = emulator.create_job()

    result = cli("jobs", "watch", job["name"], "--interval", "0.1")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any("SUCCEEDED" in line for line in lines)
    done = emulator.get_job(job["name"])
    assert f"Tuned endpoint: {done['tunedModel']['endpoint']}" in result.stdout


def test_watch_exits_1_when_the_job_fails(cli, emulator):
    emulator.admin.fail_next_job("line 3: the last turn must have role 'model'")
    job = emulator.create_job()

    result = cli("jobs", "watch", job_id(job), "--interval", "0.1")

    assert result.exit_code == 1
    assert "FAILED" in result.stdout
    assert "ended FAILED" in result.stderr and "line 3" in result.stderr


def test_watch_exits_1_for_a_job_cancelled_meanwhile(cli, emulator):
    job = emulator.create_job()
    emulator.admin.stick_job(job["name"], JobState.RUNNING)
    assert cli("jobs", "cancel", job["name"]).exit_code == 0

    result = cli("jobs", "watch", job["name"], "--interval", "0.1")

    assert result.exit_code == 1
    assert "CANCELLED" in result.stderr


def test_no_answer_from_the_service_exits_1_after_a_few_quick_retries(cli):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{sock.getsockname()[1]}"

    result = cli("jobs", "list", VERTEX_AI_EMULATOR_HOST=closed)

    assert result.exit_code == 1
    assert "got no answer" in result.stderr
    assert "Traceback" not in result.output


def test_error_messages_are_printed_verbatim_even_with_brackets(cli, emulator):
    emulator.admin.fail_next_job("line 2: [contents][1] has an empty 'parts' list")
    job = emulator.create_job()

    result = cli("jobs", "watch", job["name"], "--interval", "0.1")

    assert result.exit_code == 1
    assert "[contents][1] has an empty 'parts' list" in result.stderr


def test_user_text_in_tables_is_shown_verbatim(cli, emulator):
    job = emulator.create_job(tunedModelDisplayName="bot [beta]")

    listed = cli("jobs", "list")
    shown = cli("jobs", "get", job["name"])

    assert "[beta]" in listed.stdout
    assert "bot [beta]" in shown.stdout
