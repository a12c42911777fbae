"""v1beta1's finer progress, the concurrency quota and the best-effort cancel, on a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clock import WALL_CLOCK_START, VirtualClock
from support.emulator import sample_dataset
from vertex_tuning.emulator import metrics
from vertex_tuning.emulator.jobs import JobService
from vertex_tuning.emulator.storage import DataDir
from vertex_tuning.emulator.store import Store
from vertex_tuning.wire import JobState, TuningJob

SECONDS = 100.0


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(WALL_CLOCK_START)


def make_service(tmp_path: Path, clock: VirtualClock, quota: int | None = None) -> JobService:
    data = DataDir(tmp_path / "data")
    data.write_text("gs://b/train.jsonl", sample_dataset(24))  # 3 steps an epoch
    store = Store(tmp_path / "state.sqlite3")
    return JobService(store, data, job_seconds=SECONDS, clock=clock, max_concurrent_jobs=quota)


def create(service: JobService, **extra: object) -> str:
    body = {
        "baseModel": "gemini-3.1-flash-lite",
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/train.jsonl"},
    }
    job = service.create("proj", "us-central1", TuningJob.model_validate({**body, **extra}))
    assert job.name is not None
    return job.name.rsplit("/", 1)[1]


def at(service: JobService, clock: VirtualClock, job_id: str, offset: float) -> TuningJob:
    clock.at(offset)
    return service.get("proj", "us-central1", job_id)


def test_tuning_job_state_follows_the_job_through_its_phases(tmp_path, clock):
    service = make_service(tmp_path, clock)
    job_id = create(service)
    seen = [at(service, clock, job_id, t).tuning_job_state for t in (0, 5, 15, 50, 100)]
    assert seen == [
        "TUNING_JOB_STATE_PROCESSING_DATASET",
        "TUNING_JOB_STATE_PROCESSING_DATASET",
        "TUNING_JOB_STATE_WAITING_FOR_CAPACITY",
        "TUNING_JOB_STATE_TUNING",
        None,  # ended: the JobState says it all
    ]


def test_completed_steps_and_epochs_match_the_metrics_series(tmp_path, clock):
    service = make_service(tmp_path, clock)
    job_id = create(service, supervisedTuningSpec={"trainingDatasetUri": "gs://b/train.jsonl",
                                                   "hyperParameters": {"epochCount": 3}})  # fmt: skip
    for offset in (25, 50, 75, 99, 100):
        job = at(service, clock, job_id, offset)
        row = service.row("proj", "us-central1", job_id)
        series = metrics.points(row, service.phase(row), service.outcome(row), "/train_total_loss", clock.now)
        assert job.tuning_job_metadata is not None
        assert job.tuning_job_metadata.completed_step_count == len(series)
        assert job.tuning_job_metadata.completed_epoch_count == len(series) // 3
    assert job.tuning_job_metadata.completed_step_count == 9


def test_a_job_held_running_after_its_last_step_is_post_processing(tmp_path, clock):
    service = make_service(tmp_path, clock)
    job_id = create(service)
    service.set_control(job_id, "stuck", JobState.RUNNING.value)
    held = at(service, clock, job_id, 150)
    assert held.job_state is JobState.RUNNING and held.tuning_job_state == "TUNING_JOB_STATE_POST_PROCESSING"


def test_jobs_beyond_the_quota_wait_for_quota_then_run_in_turn(tmp_path, clock):
    service = make_service(tmp_path, clock, quota=1)
    first = create(service)
    clock.at(10)
    second = create(service)
    waiting = at(service, clock, second, 50)
    assert waiting.job_state is JobState.PENDING
    assert waiting.tuning_job_state == "TUNING_JOB_STATE_WAITING_FOR_QUOTA"
    assert at(service, clock, first, 50).job_state is JobState.RUNNING
    # The first ends at 100; the second takes the slot then, and starts 20 s later.
    assert at(service, clock, second, 105).tuning_job_state == "TUNING_JOB_STATE_PROCESSING_DATASET"
    started = at(service, clock, second, 120)
    assert started.job_state is JobState.RUNNING and started.start_time is not None
    assert started.start_time.timestamp() == pytest.approx(clock.start + 120)
    assert at(service, clock, second, 200).job_state is JobState.SUCCEEDED


def test_a_cancel_frees_the_quota_and_a_waiting_job_can_be_cancelled(tmp_path, clock):
    service = make_service(tmp_path, clock, quota=1)
    first, second, third = create(service), create(service), create(service)
    clock.at(30)
    service.cancel("proj", "us-central1", first)  # settles at 40: the second takes the slot
    service.cancel("proj", "us-central1", third)  # never held a slot
    assert at(service, clock, second, 45).tuning_job_state == "TUNING_JOB_STATE_PROCESSING_DATASET"
    third_job = at(service, clock, third, 45)
    assert third_job.job_state is JobState.CANCELLED and third_job.start_time is None


def test_an_ignored_cancel_still_ends_succeeded(tmp_path, clock):
    service = make_service(tmp_path, clock)
    job_id = create(service)
    service.set_control(job_id, "ignoreCancel", True)
    clock.at(50)
    service.cancel("proj", "us-central1", job_id)
    assert at(service, clock, job_id, 60).job_state is JobState.CANCELLING
    done = at(service, clock, job_id, 100)
    assert done.job_state is JobState.SUCCEEDED and done.tuned_model is not None and done.error is None


def test_an_ignored_cancel_can_end_failed(tmp_path, clock):
    service = make_service(tmp_path, clock)
    service.next_job_controls = {"ignoreCancel": True, "fail": "Internal error after cancel."}
    job_id = create(service)
    clock.at(50)
    service.cancel("proj", "us-central1", job_id)
    done = at(service, clock, job_id, 100)
    assert done.job_state is JobState.FAILED and done.error is not None and done.error.code == 13
