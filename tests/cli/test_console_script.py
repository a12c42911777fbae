"""The `vertex-tuning` console script, run as a user runs it, against the emulator: the whole flow
without Pulumi (create, watch, prompt, metrics), output formats, filters and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

from support.emulator import PROJECT, sample_dataset
from vertex_tuning import staging
from vertex_tuning.wire import JobState

# The console script pip installed next to this interpreter: exactly what a user runs.
CONSOLE_SCRIPT = Path(sys.executable).with_name("vertex-tuning")

QUICKSTART_DATASET = Path(__file__).parents[2] / "quickstart" / "data" / "train.jsonl"


def test_version_prints_the_package_version(script):
    result = script("--version")

    assert result.returncode == 0
    assert result.stdout.startswith("vertex-tuning 0.")


def test_the_readme_flow_without_pulumi_create_watch_prompt_metrics(script):
    """The README's "Without Pulumi" commands, one for one."""
    upload = script("dataset", "upload", str(QUICKSTART_DATASET), "gs://my-bucket/train.jsonl")
    job = script(
        "jobs", "create", "--base-model", "gemini-3.1-flash-lite",
        "--training-dataset", "gs://my-bucket/train.jsonl",
        "--display-name", "support-bot", "--format", "value(name)",
    )  # fmt: skip
    name = job.stdout.strip()
    watch = script("jobs", "watch", name, "--interval", "1")
    endpoint = script("jobs", "get", name, "--format", "value(tunedModel.endpoint)").stdout.strip()
    answer = script("prompt", endpoint, "How do I descale my kettle?")
    metrics = script("metrics", name)

    assert upload.returncode == 0, upload.stderr
    assert job.returncode == 0, job.stderr
    assert name.startswith("projects/") and "/tuningJobs/" in name
    assert watch.returncode == 0, watch.stderr
    assert "SUCCEEDED" in watch.stdout and f"Tuned endpoint: {endpoint}" in watch.stdout
    assert "console.cloud.google.com" in watch.stderr  # the progress lines link to the console
    assert answer.returncode == 0, answer.stderr
    assert "vinegar" in answer.stdout
    assert metrics.returncode == 0, metrics.stderr
    assert "Final values" in metrics.stdout


def test_create_with_every_option_sends_them_all(script, emulator):
    emulator.write_object("gs://bucket/train.jsonl", sample_dataset(10))
    emulator.write_object("gs://bucket/validation.jsonl", sample_dataset(4))

    result = script(
        # translation-llm-002: a model that takes a customer-managed key (Gemini 3.x do not).
        "jobs", "create", "--base-model", "translation-llm-002",
        "--training-dataset", "gs://bucket/train.jsonl", "--validation-dataset", "gs://bucket/validation.jsonl",
        "--epochs", "2", "--adapter-size", "FOUR", "--learning-rate-multiplier", "0.5",
        "--display-name", "bot", "--description", "a test", "--label", "team=ml", "--label", "env=dev",
        "--service-account", "tuner@test-project.iam.gserviceaccount.com",
        "--kms-key", "projects/test-project/locations/us-central1/keyRings/r/cryptoKeys/k",
        "--export-last-checkpoint-only", "--format", "json",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    spec = created["supervisedTuningSpec"]
    assert spec["validationDatasetUri"] == "gs://bucket/validation.jsonl"
    assert spec["hyperParameters"] == {
        "epochCount": "2",
        "adapterSize": "ADAPTER_SIZE_FOUR",
        "learningRateMultiplier": 0.5,
    }
    assert spec["exportLastCheckpointOnly"] is True
    assert created["labels"] == {"team": "ml", "env": "dev"}  # no identity label: no resource owns it
    assert created["serviceAccount"] == "tuner@test-project.iam.gserviceaccount.com"
    assert created["encryptionSpec"]["kmsKeyName"].endswith("/cryptoKeys/k")
    assert created["description"] == "a test" and created["tunedModelDisplayName"] == "bot"


def test_create_lists_every_problem_with_its_option_and_exits_2_before_any_request(script, emulator):
    result = script(
        "jobs", "create", "--base-model", "gemini-9-ultra", "--training-dataset", "s3://x/train.jsonl",
        "--epochs", "0", "--adapter-size", "3", "--label", "Team=ML", "--kms-key", "not-a-key",
    )  # fmt: skip

    assert result.returncode == 2
    for flag in ("--base-model", "--epochs", "--adapter-size", "--label", "--kms-key"):
        assert f"error: {flag}:" in result.stderr
    assert "Traceback" not in result.stderr
    assert emulator.admin.request_count("tuningJobs.create") == 0


def test_create_from_a_pre_tuned_model_with_a_checkpoint(script, emulator):
    first = emulator.create_job()
    model = emulator.wait_for_state(first["name"], "JOB_STATE_SUCCEEDED")["tunedModel"]["model"]
    emulator.write_object("gs://bucket/train.jsonl", sample_dataset(10))

    result = script(
        "jobs", "create", "--pre-tuned-model", model, "--checkpoint-id", "2",
        "--training-dataset", "gs://bucket/train.jsonl", "--format", "json",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    pre_tuned = json.loads(result.stdout)["preTunedModel"]
    assert (pre_tuned["tunedModelName"], pre_tuned["checkpointId"]) == (model, "2")


def test_create_stages_a_local_file_by_content_like_the_resource(script, emulator, tmp_path):
    dataset = tmp_path / "train.jsonl"
    dataset.write_text(sample_dataset(10))
    expected = f"gs://staging/datasets/{staging.file_sha256(dataset)}.jsonl"

    result = script(
        "jobs", "create", "--base-model", "gemini-3.1-flash-lite", "--training-dataset", str(dataset),
        "--staging-uri", "gs://staging/datasets",
        "--format", "value(supervisedTuningSpec.trainingDatasetUri)",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
    staged = emulator.data_dir / "staging" / "datasets" / f"{staging.file_sha256(dataset)}.jsonl"
    assert staged.read_bytes() == dataset.read_bytes()


def test_create_of_a_local_file_without_a_staging_uri_is_bad_input(script, tmp_path):
    dataset = tmp_path / "train.jsonl"
    dataset.write_text(sample_dataset(10))

    result = script(
        "jobs", "create", "--base-model", "gemini-3.1-flash-lite", "--training-dataset", str(dataset)
    )

    assert result.returncode == 2
    assert "--staging-uri" in result.stderr


def test_create_wait_follows_the_job_and_exits_by_its_end(script, emulator):
    emulator.write_object("gs://bucket/train.jsonl", sample_dataset(10))
    create = ("jobs", "create", "--base-model", "gemini-3.1-flash-lite", "--training-dataset")

    succeeded = script(*create, "gs://bucket/train.jsonl", "--wait", "--interval", "0.2", "--format", "json")
    emulator.admin.fail_next_job("line 3: the last turn must have role 'model'")
    failed = script(*create, "gs://bucket/train.jsonl", "--wait", "--interval", "0.2", "--format", "json")

    assert succeeded.returncode == 0, succeeded.stderr
    assert json.loads(succeeded.stdout)["state"] == "JOB_STATE_SUCCEEDED"
    assert "created projects/" in succeeded.stderr
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["state"] == "JOB_STATE_FAILED"
    assert "ended FAILED: line 3" in failed.stderr


def test_formats_json_yaml_value_and_table(script, emulator):
    job = emulator.create_job(tunedModelDisplayName="support-bot")
    done = emulator.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED")

    as_json = json.loads(script("jobs", "get", job["name"], "--format", "json").stdout)
    as_yaml = yaml.safe_load(script("jobs", "get", job["name"], "--format", "yaml").stdout)
    value = script("jobs", "list", "--format", "value(name,state,tunedModelDisplayName)").stdout
    table = script("jobs", "get", job["name"]).stdout

    assert as_json == as_yaml == done
    assert value.splitlines() == [f"{job['name']}\tJOB_STATE_SUCCEEDED\tsupport-bot"]
    # At 80 columns a table is printed as wide as it needs: the console link is whole.
    link = f"locations/us-central1/tuning/tuningJob/{job['name'].rsplit('/', 1)[1]}"
    assert link in table
    created = done["createTime"][:19]
    assert f"{created}Z" in table  # RFC 3339 with its zone


def test_a_bad_format_is_bad_input(script):
    result = script("jobs", "list", "--format", "csv")

    assert result.returncode == 2
    assert "value(FIELD,...)" in result.stderr


def test_global_options_work_after_the_command(script, emulator):
    job = emulator.create_job()

    elsewhere = script("jobs", "list", "--project", "other-project", "--format", "json")
    here = script("jobs", "list", "--format=json", "--project", PROJECT, "--location", "us-central1")

    assert elsewhere.returncode == 0 and json.loads(elsewhere.stdout) == []
    assert [item["name"] for item in json.loads(here.stdout)] == [job["name"]]


def test_filter_goes_to_the_service_and_is_checked_here(script, emulator):
    support = emulator.create_job(labels={"team": "support"}, tunedModelDisplayName="support-bot")
    search = emulator.create_job(labels={"team": "search"}, tunedModelDisplayName="search-bot")
    emulator.create_job(labels={"team": "other"}, tunedModelDisplayName="other-bot")

    # Every filter is sent to the service and checked again here; one the service cannot read (a
    # wildcard on a field it does not filter) is checked here alone.
    either = script(
        "jobs", "list", "--filter", 'labels.team="support" OR labels.team="search"', "--format", "value(name)"
    )
    wildcard = script("jobs", "list", "--filter", 'tunedModelDisplayName="s*-bot"', "--format", "value(name)")
    simple = script("jobs", "list", "--filter", 'labels.team="support"', "--format", "value(name)")
    limited = script("jobs", "list", "--limit", "1", "--page-size", "1", "--format", "value(name)")

    assert either.returncode == 0, either.stderr
    assert set(either.stdout.split()) == {support["name"], search["name"]}
    assert set(wildcard.stdout.split()) == {support["name"], search["name"]}
    assert simple.stdout.split() == [support["name"]] and "filtering" not in simple.stderr
    assert len(limited.stdout.split()) == 1


def test_a_filter_that_cannot_be_read_is_bad_input(script, emulator):
    result = script("jobs", "list", "--filter", 'labels.team="support" AND (')

    assert result.returncode == 2
    assert "filter" in result.stderr and "Traceback" not in result.stderr
    assert emulator.admin.request_count("tuningJobs.list") == 0


def test_cancel_of_a_cancelled_job_is_fine(script, emulator):
    job = emulator.create_job()
    emulator.admin.stick_job(job["name"], JobState.RUNNING)
    first = script("jobs", "cancel", job["name"], "--wait", "--interval", "0.2")
    cancels = emulator.admin.request_count("tuningJobs.cancel")

    again = script("jobs", "cancel", job["name"])

    assert first.returncode == 0, first.stderr
    assert again.returncode == 0 and "already CANCELLED" in again.stdout
    assert emulator.admin.request_count("tuningJobs.cancel") == cancels  # nothing sent the second time


def test_watch_rides_an_outage_with_a_line_per_retry(emulator, script_env):
    job = emulator.create_job()
    emulator.admin.stick_job(job["name"], JobState.RUNNING)
    emulator.wait_for_state(job["name"], "JOB_STATE_RUNNING")
    watch = subprocess.Popen(
        [str(CONSOLE_SCRIPT), "jobs", "watch", job["name"], "--interval", "0.2", "--heartbeat", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=script_env,
    )
    assert watch.stderr is not None
    first = watch.stderr.readline()  # the wait has begun
    # Every GET fails for a while: more failures than the CLI's three quick attempts per call.
    emulator.admin.fail_requests("tuningJobs.get", 503, times=7, retry_after=0.1)
    deadline = time.monotonic() + 30
    while emulator.admin.faults() and time.monotonic() < deadline:
        time.sleep(0.05)
    emulator.admin.stick_job(job["name"], None)
    out, err = watch.communicate(timeout=60)

    assert "is RUNNING" in first
    assert watch.returncode == 0, err
    assert "SUCCEEDED" in out
    assert "answered 503 UNAVAILABLE; attempt 2 of 3" in err
    assert "did not answer" in err  # the wait rode the outage instead of giving up
    assert "is still RUNNING" in err  # the heartbeat spoke during the outage


def test_the_quota_project_reaches_the_emulator_and_no_token_does(script, emulator):
    seen: list[dict[str, str]] = []
    app = emulator.server.emulator.app

    async def recording(scope, receive, send):
        if scope["type"] == "http":
            seen.append({key.decode(): value.decode() for key, value in scope["headers"]})
        await app(scope, receive, send)

    emulator.server.emulator.app = recording

    result = script("jobs", "list", GOOGLE_CLOUD_QUOTA_PROJECT="bill-me")

    assert result.returncode == 0, result.stderr
    assert seen and all(headers.get("x-goog-user-project") == "bill-me" for headers in seen)
    assert all("authorization" not in headers for headers in seen)


def test_emulator_start_problems_are_one_line_and_exit_2(script, emulator, tmp_path):
    taken = emulator.host_port.rsplit(":", 1)[1]
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")

    problems = {
        "taken": script("emulator", "--port", taken, "--data-dir", str(tmp_path / "d")),
        "range": script("emulator", "--port", "70000"),
        "data dir": script("emulator", "--port", "0", "--data-dir", str(not_a_dir)),
        "bad fault": script("emulator", "--port", "0", "--fault", "tuningJobs.get:status=200"),
        "unknown route": script("emulator", "--port", "0", "--fault", "tuningJobs.delete:status=503"),
    }

    for what, result in problems.items():
        assert result.returncode == 2, (what, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (what, result.stderr)
        assert "Traceback" not in result.stderr
    assert "--port 0" in problems["taken"].stderr and "already in use" in problems["taken"].stderr
    assert "is a file, not a directory" in problems["data dir"].stderr
    assert "no route 'tuningJobs.delete'" in problems["unknown route"].stderr


def test_dataset_validate_reads_gs_uris_and_reports_every_bad_line_with_an_estimate(script, emulator):
    good = sample_dataset(3)
    emulator.write_object("gs://bucket/good.jsonl", good)
    path = emulator.data_dir / "bucket" / "bad.jsonl"
    lines = good.splitlines(keepends=True)
    path.write_bytes(lines[0].encode() + b'{"contents": "\xff\xfe"}\n' + b"not json\n" + lines[1].encode())

    # No tuning price is published for today's models: the estimate is priced from the option.
    priced = ("--model", "gemini-3.1-flash-lite", "--price-per-million-tokens", "5")
    valid = script("dataset", "validate", "gs://bucket/good.jsonl", *priced)
    as_json = script(
        "dataset", "validate", "gs://bucket/good.jsonl", "--epochs", "4", *priced, "--format", "json",
    )  # fmt: skip
    invalid = script("dataset", "validate", "gs://bucket/bad.jsonl", "--model", "gemini-3.1-flash-lite")
    missing = script("dataset", "validate", "gs://bucket/none.jsonl", "--model", "gemini-3.1-flash-lite")

    assert valid.returncode == 0, valid.stderr
    assert "estimate: about" in valid.stdout and "billable training tokens" in valid.stdout
    assert "$5 per 1M tokens" in valid.stdout and "not a quote" in valid.stdout
    report = json.loads(as_json.stdout)
    assert report["estimate"]["trainingTokens"] == report["estimatedTokens"] * 4
    assert report["estimate"]["estimatedCostUsd"] == round(report["estimatedTokens"] * 4 * 5 / 1e6, 2)
    assert invalid.returncode == 2
    assert "gs://bucket/bad.jsonl:2: not UTF-8 text: byte 0xff" in invalid.stdout
    assert "gs://bucket/bad.jsonl:3:" in invalid.stdout  # the line after it is still checked
    assert missing.returncode == 1 and "NOT_FOUND" in missing.stderr


def test_dataset_upload_validates_first_unless_told_not_to(script, emulator, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"contents": []}\n')

    refused = script("dataset", "upload", str(bad), "gs://bucket/bad.jsonl")
    forced = script("dataset", "upload", str(bad), "gs://bucket/forced.jsonl", "--no-validate")

    assert refused.returncode == 2 and "was not uploaded" in refused.stderr
    assert not (emulator.data_dir / "bucket" / "bad.jsonl").exists()
    assert forced.returncode == 0, forced.stderr
    assert (emulator.data_dir / "bucket" / "forced.jsonl").read_bytes() == bad.read_bytes()
