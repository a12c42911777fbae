"""Training metrics as Vertex serves them: experiment context -> TensorBoard runs -> scalar series."""

from __future__ import annotations

import pytest

from support.clock import WALL_CLOCK_START, VirtualClock
from support.discovery import assert_error_envelope, assert_matches_schema
from support.emulator import FAST_JOB_SECONDS, create_with_service, sample_dataset
from vertex_tuning.emulator import metrics
from vertex_tuning.emulator.jobs import JobService
from vertex_tuning.emulator.storage import DataDir
from vertex_tuning.emulator.store import Store

TRAIN, VALID = "gs://m/train.jsonl", "gs://m/valid.jsonl"


def get(em, path: str, schema: str) -> dict:
    response = em.http.get(f"{em.base_url}/v1/{path}")
    assert response.status_code == 200, response.text
    body = dict(response.json())
    assert_matches_schema(body, schema)
    return body


def follow(em, job: dict) -> dict[str, list[dict]]:
    """What a client does: experiment -> backing TensorBoard -> runs -> series -> points."""
    context = get(em, job["experiment"], "Context")
    assert context["schemaTitle"] == "system.Experiment"
    tensorboard = context["metadata"]["backing_tensorboard_resource"]
    experiment_id = job["experiment"].rsplit("/", 1)[1]
    runs = get(em, f"{tensorboard}/experiments/{experiment_id}/runs", "ListTensorboardRunsResponse")
    (run,) = runs["tensorboardRuns"]
    series = get(em, f"{run['name']}/timeSeries", "ListTensorboardTimeSeriesResponse")
    values = {}
    for item in series["tensorboardTimeSeries"]:
        assert item["valueType"] == "SCALAR"
        data = get(em, f"{item['name']}:read", "ReadTensorboardTimeSeriesDataResponse")
        assert data["timeSeriesData"]["tensorboardTimeSeriesId"] == item["name"].rsplit("/", 1)[1]
        values[item["displayName"]] = data["timeSeriesData"].get("values", [])
    return values


def test_a_finished_job_has_complete_plausible_series(emulator):
    emulator.admin.set_job_seconds(FAST_JOB_SECONDS)
    emulator.write_object(TRAIN, sample_dataset(16))
    job = emulator.wait_for_state(emulator.create_job(TRAIN)["name"], "JOB_STATE_SUCCEEDED")
    series = follow(emulator, job)
    assert set(series) == set(metrics.TRAIN_SERIES)
    steps = int(job["tuningDataStats"]["supervisedTuningDataStats"]["tuningStepCount"])
    loss = [point["scalar"]["value"] for point in series["/train_total_loss"]]
    assert [int(p["step"]) for p in series["/train_total_loss"]] == list(range(1, steps + 1))
    assert loss[-1] < loss[0] and all(value > 0 for value in loss)
    accuracy = [p["scalar"]["value"] for p in series["/train_fraction_of_correct_next_step_preds"]]
    assert accuracy[-1] > accuracy[0] and all(0 < value < 1 for value in accuracy)
    assert all(p["scalar"]["value"] >= 1 for p in series["/train_num_predictions"])
    assert follow(emulator, job) == series  # deterministic per job


def test_eval_series_exist_only_with_a_validation_set(emulator):
    emulator.admin.set_job_seconds(FAST_JOB_SECONDS)
    emulator.write_object(TRAIN, sample_dataset(16))
    emulator.write_object(VALID, sample_dataset(4))
    spec = {"trainingDatasetUri": TRAIN, "validationDatasetUri": VALID, "hyperParameters": {"epochCount": 3}}
    job = emulator.wait_for_state(
        emulator.create_job(TRAIN, supervisedTuningSpec=spec)["name"], "JOB_STATE_SUCCEEDED"
    )
    series = follow(emulator, job)
    assert set(series) == set(metrics.TRAIN_SERIES + metrics.EVAL_SERIES)
    assert [p["step"] for p in series["/eval_total_loss"]] == ["2", "4", "6"]  # once per epoch


def test_metrics_of_unknown_or_unstarted_jobs_are_not_found(emulator):
    emulator.admin.set_job_seconds(60)
    emulator.write_object(TRAIN, sample_dataset(4))
    job = emulator.create_job(TRAIN)
    job_id = job["name"].rsplit("/", 1)[1]
    context = job["name"].replace(
        f"tuningJobs/{job_id}", f"metadataStores/default/contexts/tuning-experiment-{job_id}"
    )
    for path in (context, context.replace(job_id, "1")):
        response = emulator.http.get(f"{emulator.base_url}/v1/{path}")
        assert response.status_code == 404
        assert_error_envelope(response.json(), "NOT_FOUND", 404)


def test_series_grow_while_running_and_stop_at_a_cancel(tmp_path):
    clock = VirtualClock(WALL_CLOCK_START)
    data = DataDir(tmp_path)
    data.write_text("gs://b/train.jsonl", sample_dataset(20))
    service = JobService(Store(tmp_path / "s.sqlite3"), data, job_seconds=100, clock=clock)
    job = create_with_service(service, hyperParameters={"epochCount": 2})  # 6 steps from t=20 to t=100
    assert job.name is not None
    row = service.row("proj", "us-central1", job.name.rsplit("/", 1)[1])

    def recorded(at: float) -> list[int]:
        clock.at(at)
        phase = service.phase(row)
        return [
            step
            for step, _, _ in metrics.points(row, phase, service.outcome(row), "/train_total_loss", clock.now)
        ]

    assert recorded(21) == []
    assert recorded(50) == [1, 2]
    assert recorded(100) == [1, 2, 3, 4, 5, 6]
    clock.at(60)
    service.cancel("proj", "us-central1", row.id)
    row = service.row("proj", "us-central1", row.id)
    assert recorded(500) == [1, 2, 3]  # training stopped when the cancel settled (t=70)


@pytest.mark.parametrize("series", ["train-total-loss", "nope"])
def test_unknown_series_and_runs_are_not_found(emulator, series):
    emulator.admin.set_job_seconds(FAST_JOB_SECONDS)
    emulator.write_object(TRAIN, sample_dataset(4))
    job = emulator.wait_for_state(emulator.create_job(TRAIN)["name"], "JOB_STATE_SUCCEEDED")
    context = get(emulator, job["experiment"], "Context")
    experiment_id = job["experiment"].rsplit("/", 1)[1]
    base = f"{context['metadata']['backing_tensorboard_resource']}/experiments/{experiment_id}"
    wrong_run = emulator.http.get(f"{emulator.base_url}/v1/{base}/runs/other/timeSeries/{series}:read")
    assert wrong_run.status_code == 404
    status = 200 if series == "train-total-loss" else 404
    assert (
        emulator.http.get(
            f"{emulator.base_url}/v1/{base}/runs/{metrics.RUN_ID}/timeSeries/{series}:read"
        ).status_code
        == status
    )
