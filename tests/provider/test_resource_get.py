"""`TuningJob.get(name, id)`: another program reads an existing job instead of creating one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pulumi
import pytest
from pulumi.runtime import settings as runtime_settings

from support.pulumi_program import RecordingMocks, resolve
from vertex_tuning import TuningJob

JOB = "projects/123456789012/locations/us-central1/tuningJobs/42"


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    recorder = RecordingMocks()
    asyncio.set_event_loop(asyncio.new_event_loop())
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(recorder, project="serving", stack="prod", preview=False)
    yield recorder


def test_get_reads_the_job_by_its_name_and_fills_the_outputs(mocks: RecordingMocks) -> None:
    job = TuningJob.get("support-bot", JOB)

    endpoint = resolve(job.tuned_model_endpoint_name)

    (read,) = mocks.of_type("pulumi-python:dynamic/vertex-tuning:TuningJob")
    assert read.resource_id == JOB  # a read of that id, never a create
    assert "pulumi_stack" not in read.inputs  # no identity: this program never owns the job
    assert "/endpoints/" in endpoint
    assert resolve(job.state) == "JOB_STATE_SUCCEEDED"
