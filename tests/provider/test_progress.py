"""Progress while waiting: a heartbeat at least every interval (on a virtual clock), the v1beta1
detailed state and completed steps in it, and a line for every retry that waits."""

from __future__ import annotations

from itertools import pairwise

import httpx
from provider_fakes import FakeJobClient

from support.clock import VirtualClock
from vertex_tuning import progress, wire
from vertex_tuning.client import RetryNotice, RetryPolicy, VertexClient
from vertex_tuning.errors import TransportError
from vertex_tuning.lifecycle import Lifecycle
from vertex_tuning.names import LocationName, TuningJobName
from vertex_tuning.settings import Settings, Transport

PROJECT, LOCATION = "p-1234", "us-central1"


def request() -> wire.TuningJob:
    spec = wire.SupervisedTuningSpec(training_dataset_uri="gs://b/train.jsonl")
    return wire.TuningJob(base_model="gemini-3.1-flash-lite", supervised_tuning_spec=spec)


def stamped_lifecycle(
    service: FakeJobClient, clock: VirtualClock, heartbeat: float
) -> tuple[Lifecycle, list[tuple[float, str]]]:
    lines: list[tuple[float, str]] = []
    lifecycle = Lifecycle(
        service,
        log=lambda text: lines.append((clock.now, text)),
        clock=clock,
        sleep=clock.sleep,
        heartbeat_seconds=heartbeat,
    )
    return lifecycle, lines


def test_a_long_wait_is_never_silent_longer_than_the_heartbeat() -> None:
    clock = VirtualClock()
    service = FakeJobClient(clock, job_seconds=3 * 3600)
    lifecycle, lines = stamped_lifecycle(service, clock, heartbeat=120.0)
    job = service.create_tuning_job(LocationName(PROJECT, LOCATION), request())

    final = lifecycle.wait(job, timeout_seconds=4 * 3600)

    times = [when for when, _ in lines]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert final.job_state is wire.JobState.SUCCEEDED
    assert max(gaps) <= 120.0
    beats = [text for _, text in lines if "is still RUNNING" in text]
    assert len(beats) >= 3 * 3600 / 120 - 2
    assert all("console.cloud.google.com" in text for text in beats)
    assert "after 1h00m" in " ".join(beats)  # elapsed time, as people read it


def test_the_heartbeat_keeps_speaking_through_an_outage() -> None:
    clock = VirtualClock()
    service = FakeJobClient(clock, job_seconds=3600)
    lifecycle, lines = stamped_lifecycle(service, clock, heartbeat=60.0)
    job = service.create_tuning_job(LocationName(PROJECT, LOCATION), request())
    real_get = service.get_tuning_job

    def failing_for_four_minutes(name: TuningJobName) -> wire.TuningJob:
        if 600 <= clock.now < 840:  # within the wait's five-minute outage budget
            raise TransportError(method="GET", resource=str(name), reason="ConnectError")
        return real_get(name)

    service.get_tuning_job = failing_for_four_minutes  # type: ignore[method-assign]

    lifecycle.wait(job, timeout_seconds=7200)

    during = [when for when, text in lines if 600 <= when < 840 and "is still" in text]
    assert len(during) >= 3
    assert any("did not answer" in text for _, text in lines)


def test_the_heartbeat_shows_the_detailed_state_and_completed_steps_and_epochs() -> None:
    job = wire.TuningJob.model_validate(
        {
            "name": "projects/1/locations/us-central1/tuningJobs/42",
            "state": "JOB_STATE_RUNNING",
            "tuningJobState": "TUNING_JOB_STATE_TUNING",
            # int64 as proto3 JSON sends it (a string), or as a number.
            "tuningJobMetadata": {"completedStepCount": "120", "completedEpochCount": 2},
        }
    )

    text = progress.heartbeat_text(job, elapsed=725)

    assert "is still RUNNING (detailed state TUNING, step 120, epoch 2) after 12m05s" in text
    assert text.endswith(
        "https://console.cloud.google.com/vertex-ai/generative/language/locations/us-central1/tuning/"
        "tuningJob/42?project=1"
    )


def test_an_unknown_detailed_state_passes_through_as_text() -> None:
    job = wire.TuningJob(name="projects/1/locations/us-central1/tuningJobs/7", tuning_job_state="WARMING_UP")

    assert progress.detail(job) == "detailed state WARMING_UP"


def test_every_retry_that_waits_is_a_line_with_status_attempt_and_delay() -> None:
    answers = iter([httpx.Response(503, json={"error": {"code": 503, "status": "UNAVAILABLE"}})] * 2)

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200, json={"tuningJobs": []}))

    notices: list[RetryNotice] = []
    lines: list[str] = []
    client = VertexClient(
        Settings(project=PROJECT, transport=Transport(emulator_host="127.0.0.1:1")),
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=4, initial_backoff=0.5, max_backoff=2.0),
        sleep=lambda _: None,
        on_retry=notices.append,
    )

    list(client.list_tuning_jobs(LocationName(PROJECT, LOCATION)))
    for notice in notices:
        progress.retry_line(notice, lines.append)

    assert [(notice.attempt, notice.max_attempts) for notice in notices] == [(2, 4), (3, 4)]
    assert all(
        line.startswith(
            "GET projects/p-1234/locations/us-central1/tuningJobs answered 503 UNAVAILABLE; attempt "
        )
        for line in lines
    )
    assert all(" of 4 in " in line and line.endswith("s") for line in lines)
