"""`pulumi preview` and `pulumi up` of TuningJobs through the real engine."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from support.emulator import sample_dataset
from support.engine import DATASET, Engine, one_job


def test_up_waits_for_the_job_and_a_second_up_changes_nothing(engine: Engine) -> None:
    engine.emulator.write_object(DATASET, sample_dataset(10))
    stack = engine.stack(one_job(epoch_count=2))

    first = stack.up()
    assert first.summary.get("create") == 2  # the stack and the job
    outputs = stack.outputs()
    assert outputs["endpoint"].startswith("projects/") and "/endpoints/" in outputs["endpoint"]
    assert engine.jobs_by_state() == {"JOB_STATE_SUCCEEDED": 1}

    second = stack.up()
    assert second.summary.get("create", 0) == 0 and second.summary.get("replace", 0) == 0
    assert second.summary.get("same") == 2  # the stack and the job
    assert engine.jobs_held() == 1


def test_preview_shows_every_check_failure_by_input_name_and_creates_nothing(engine: Engine) -> None:
    stack = engine.stack(one_job(adapter_size=3, labels={"Bad Key": "x"}))

    with pytest.raises(auto.CommandError) as failed:
        stack.preview()

    said = str(failed.value)
    assert "adapter_size" in said and "labels" in said
    assert engine.jobs_held() == 0
