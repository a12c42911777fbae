"""`TuningJob.get` through the real engine: a stack reads a job it did not create, and refresh follows it."""

from __future__ import annotations

import pulumi

from support.emulator import sample_dataset
from support.engine import DATASET, Engine
from vertex_tuning import TuningJob
from vertex_tuning.wire import JobState


def test_a_read_job_shows_its_state_refresh_follows_an_out_of_band_cancel_and_destroy_leaves_it(
    engine: Engine,
) -> None:
    engine.emulator.write_object(DATASET, sample_dataset(10))
    engine.emulator.admin.stick_next_job(JobState.RUNNING)
    running = engine.emulator.create_job(DATASET)["name"]
    engine.emulator.wait_for_state(running, JobState.RUNNING.value)

    def program() -> None:
        job = TuningJob.get("watched", running)
        pulumi.export("state", job.state)

    stack = engine.stack(program)
    stack.up()
    assert stack.outputs() == {"state": JobState.RUNNING.value}
    [resource] = stack.tuning_jobs_in_state()
    assert resource["outputs"]["training_dataset_uri"] == DATASET, "the job as the service has it"

    cancel = engine.emulator.http.post(f"{engine.emulator.base_url}/v1/{running}:cancel", json={})
    assert cancel.status_code == 200
    engine.emulator.wait_for_state(running, JobState.CANCELLED.value)
    stack.refresh()
    [resource] = stack.tuning_jobs_in_state()
    assert resource["outputs"]["state"] == JobState.CANCELLED.value

    stack.destroy()
    assert engine.emulator.admin.request_count("tuningJobs.cancel") == 1, "only the out-of-band cancel"
    assert engine.jobs_held() == 1
