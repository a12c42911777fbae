"""The lifecycle clock, driven by a fake clock: states follow from stored timestamps alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.clock import WALL_CLOCK_START, VirtualClock
from support.emulator import sample_dataset
from vertex_tuning.emulator.jobs import JobService, project_number
from vertex_tuning.emulator.storage import DataDir
from vertex_tuning.emulator.store import Store
from vertex_tuning.wire import JobState, TuningJob

SECONDS = 100.0
T0 = VirtualClock(WALL_CLOCK_START).start


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(WALL_CLOCK_START)


@pytest.fixture
def service(tmp_path: Path, clock: VirtualClock) -> JobService:
    data = DataDir(tmp_path / "data")
    data.write_text("gs://b/train.jsonl", sample_dataset(20))
    return JobService(Store(tmp_path / "state.sqlite3"), data, job_seconds=SECONDS, clock=clock)


def create(service: JobService, **spec: object) -> TuningJob:
    job = TuningJob.model_validate(
        {
            "baseModel": "gemini-3.1-flash-lite",
            "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/train.jsonl", **spec},
        }
    )
    return service.create("proj", "us-central1", job)


def state_at(service: JobService, clock: VirtualClock, name: str, at: float) -> TuningJob:
    clock.now = T0 + at
    return service.get("proj", "us-central1", name.rsplit("/", 1)[1])


def test_pending_running_succeeded_on_the_clock(service, clock):
    name = create(service).name
    assert name is not None
    assert state_at(service, clock, name, 19.9).job_state is JobState.PENDING
    running = state_at(service, clock, name, 20.0)
    assert running.job_state is JobState.RUNNING and running.experiment and running.tuned_model is None
    assert running.start_time is not None and running.start_time.timestamp() == pytest.approx(T0 + 20)
    assert state_at(service, clock, name, 99.9).job_state is JobState.RUNNING
    done = state_at(service, clock, name, 100.0)
    assert done.job_state is JobState.SUCCEEDED and done.end_time is not None
    assert done.end_time.timestamp() == pytest.approx(T0 + 100)


def test_a_new_service_on_the_same_state_file_carries_on(tmp_path, service, clock):
    name = create(service).name
    assert name is not None
    assert state_at(service, clock, name, 50).job_state is JobState.RUNNING
    service.store.close()
    reopened = JobService(Store(tmp_path / "state.sqlite3"), service.data, job_seconds=1.0, clock=clock)
    # The job keeps the duration it was created with, not the new service's.
    assert state_at(reopened, clock, name, 60).job_state is JobState.RUNNING
    assert state_at(reopened, clock, name, 101).job_state is JobState.SUCCEEDED


def test_cancel_while_pending_and_while_running(service, clock):
    early, late = create(service).name, create(service).name
    assert early and late
    clock.now = T0 + 5
    service.cancel("proj", "us-central1", early.rsplit("/", 1)[1])
    cancelling = state_at(service, clock, early, 14.9)
    assert cancelling.job_state is JobState.CANCELLING and cancelling.start_time is None
    cancelled = state_at(service, clock, early, 15)
    assert cancelled.job_state is JobState.CANCELLED and cancelled.error and cancelled.error.code == 1
    clock.now = T0 + 50
    service.cancel("proj", "us-central1", late.rsplit("/", 1)[1])
    after = state_at(service, clock, late, 200)
    assert (
        after.job_state is JobState.CANCELLED and after.start_time is not None and after.tuned_model is None
    )


def test_stuck_jobs_stay_put_until_released(service, clock):
    pending, running = create(service).name, create(service).name
    assert pending and running
    service.set_control(pending.rsplit("/", 1)[1], "stuck", JobState.PENDING.value)
    service.set_control(running.rsplit("/", 1)[1], "stuck", JobState.RUNNING.value)
    assert state_at(service, clock, pending, 10_000).job_state is JobState.PENDING
    assert state_at(service, clock, running, 10_000).job_state is JobState.RUNNING
    service.set_control(running.rsplit("/", 1)[1], "stuck", None)
    assert state_at(service, clock, running, 10_000).job_state is JobState.SUCCEEDED


def test_next_job_controls_apply_once(service, clock):
    service.next_job_controls = {"fail": "Failed to create endpoint. Tuned model is uploaded."}
    failing, normal = create(service).name, create(service).name
    assert failing and normal
    failed = state_at(service, clock, failing, 100)
    assert failed.job_state is JobState.FAILED and failed.error and failed.error.code == 13
    assert failed.error.message == "Failed to create endpoint. Tuned model is uploaded."
    assert state_at(service, clock, normal, 100).job_state is JobState.SUCCEEDED


def test_the_dataset_is_read_once_when_the_job_starts(service, clock):
    name = create(service).name
    assert name is not None
    state_at(service, clock, name, 21)
    service.data.write_text("gs://b/train.jsonl", "not json\n")  # changing it afterwards changes nothing
    assert state_at(service, clock, name, 100).job_state is JobState.SUCCEEDED


def test_project_number_is_stable_and_numeric():
    assert project_number("my-project") == project_number("my-project")
    assert project_number("my-project").isdigit() and len(project_number("my-project")) == 12
    assert project_number("my-project") != project_number("other-project")
    assert project_number("123456") == "123456"


def test_outcome_resolves_hyperparameters_and_steps(service, clock):
    name = create(service, hyperParameters={"epochCount": 4, "adapterSize": "ADAPTER_SIZE_SIXTEEN"}).name
    assert name is not None
    done = state_at(service, clock, name, 100)
    spec = done.supervised_tuning_spec
    assert spec and spec.hyper_parameters and spec.hyper_parameters.epoch_count == 4
    stats = done.tuning_data_stats
    assert stats and stats.supervised_tuning_data_stats
    assert stats.supervised_tuning_data_stats.tuning_step_count == 12  # ceil(20 / 8) * 4
    assert done.tuned_model and done.tuned_model.checkpoints and len(done.tuned_model.checkpoints) == 4


def test_a_read_never_writes_and_the_next_change_keeps_what_it_decided(service, clock):
    name = create(service).name
    assert name is not None
    job_id = name.rsplit("/", 1)[1]
    assert state_at(service, clock, name, 21).job_state is JobState.RUNNING  # the dataset is read now
    assert service.store.job(job_id).outcome is None  # ... and not written by the read
    create(service)  # the next mutating call stores what the read decided
    stored = service.store.job(job_id).outcome
    assert stored is not None and stored.failure is None and stored.steps == 9  # ceil(20 / 8) * 3


def test_a_state_file_from_before_the_base_model_column_is_migrated(tmp_path, clock):
    import json
    import sqlite3

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
            project TEXT NOT NULL, location TEXT NOT NULL, created REAL NOT NULL, duration REAL NOT NULL,
            request TEXT NOT NULL, model_id TEXT NOT NULL, model_version INTEGER NOT NULL,
            endpoint_id TEXT NOT NULL UNIQUE, controls TEXT NOT NULL DEFAULT '{}', cancelled REAL,
            outcome TEXT);
        """
    )
    request = {
        "baseModel": "gemini-3.1-flash-lite",
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t"},
    }
    controls = {"base_model": "gemini-3.1-flash-lite", "source_job": "7", "stuck": "JOB_STATE_RUNNING"}
    old.execute(
        "INSERT INTO jobs (id, project, location, created, duration, request, model_id, model_version,"
        " endpoint_id, controls, outcome) VALUES ('1', '123', 'us-central1', 0, 10, ?, '9', 1, '2', ?, ?)",
        (json.dumps(request), json.dumps(controls), json.dumps({"failure": "bad line 1"})),
    )
    old.commit()
    old.close()
    store = Store(path)
    row = store.job("1")
    assert row is not None
    assert (row.base_model, row.source_job, row.controls) == (
        "gemini-3.1-flash-lite",
        "7",
        {"stuck": "JOB_STATE_RUNNING"},
    )
    assert row.outcome is not None and row.outcome.failure == "bad line 1"
    store.close()
    assert Store(path).job("1") == row  # opening it again changes nothing
