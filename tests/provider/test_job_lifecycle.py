"""Create (with lost answers), wait and cancel-and-wait against an in-memory service on a virtual clock."""

from __future__ import annotations

import pytest
from provider_fakes import FakeJobClient

from support.clock import VirtualClock
from vertex_tuning import wire
from vertex_tuning.errors import TransportError, TuningJobFailedError, WaitTimeoutError
from vertex_tuning.lifecycle import Lifecycle
from vertex_tuning.names import LocationName, TuningJobName
from vertex_tuning.spec import ID_LABEL

JobState = wire.JobState
PROJECT, LOCATION = "p-1234", "us-central1"
OURS = {ID_LABEL: "a" * 40, "team": "ml"}


def request(labels: dict[str, str] = OURS) -> wire.TuningJob:
    spec = wire.SupervisedTuningSpec(training_dataset_uri="gs://b/train.jsonl")
    return wire.TuningJob(base_model="gemini-3.1-flash-lite", supervised_tuning_spec=spec, labels=labels)


def submit(lifecycle: Lifecycle) -> wire.TuningJob:
    return lifecycle.create_new(request(), LocationName(PROJECT, LOCATION), seen=set())


# --- create ---------------------------------------------------------------------------------


def test_lost_create_answer_adopts_the_job_it_made(
    lifecycle: Lifecycle, service: FakeJobClient, lines: list[str]
) -> None:
    service.lose_create_answers = 1
    job = submit(lifecycle)
    assert len(service.jobs) == 1
    assert job.name in service.jobs
    assert service.calls["create"] == 1
    assert any("answer to the create was lost" in line for line in lines)


def test_lost_create_answer_adopts_even_a_job_that_already_failed(
    lifecycle: Lifecycle, service: FakeJobClient
) -> None:
    """The job we just made is ours whatever its state; creating again would be a second job."""
    service.lose_create_answers = 1
    service.job_seconds = 0.0
    service.pending_seconds = 0.0
    service.next_final = JobState.FAILED
    job = submit(lifecycle)
    assert len(service.jobs) == 1
    assert job.job_state is JobState.FAILED


def test_lost_create_answer_with_no_job_creates_once_more(
    lifecycle: Lifecycle, service: FakeJobClient
) -> None:
    service.fail_creates_unsent = 1
    submit(lifecycle)
    assert len(service.jobs) == 1
    assert service.calls["create"] == 2
    assert service.calls["list"] == len(lifecycle.ambiguous_lookup_delays)


@pytest.mark.parametrize("answer", ["empty", "no name", "not json"])
def test_an_unusable_success_answer_is_looked_up_not_trusted(
    lifecycle: Lifecycle, service: FakeJobClient, lines: list[str], answer: str
) -> None:
    """A 200 whose body is `{}`, names no job or is no JSON at all: the job may exist, so look."""
    service.unusable_create_answers = [answer]
    job = submit(lifecycle)
    assert job.name in service.jobs
    assert len(service.jobs) == 1 and service.calls["create"] == 1
    lost = next(line for line in lines if "answer to the create was lost" in line)
    assert "an unusable answer" in lost or "an answer naming no job" in lost


def test_lost_create_answer_twice_raises_without_a_third_post(
    lifecycle: Lifecycle, service: FakeJobClient
) -> None:
    service.fail_creates_unsent = 2
    with pytest.raises(TuningJobFailedError, match=r"lost twice.*pulumi up"):
        submit(lifecycle)
    assert service.calls["create"] == 2


def test_unanswered_lookups_after_a_lost_create_never_risk_a_second_job(
    lifecycle: Lifecycle, service: FakeJobClient
) -> None:
    service.fail_creates_unsent = 1
    service.failing_lists_after_create = len(lifecycle.ambiguous_lookup_delays)
    with pytest.raises(TuningJobFailedError, match="Run `pulumi up` again"):
        submit(lifecycle)
    assert service.calls["create"] == 1


# --- wait -----------------------------------------------------------------------------------


def test_wait_returns_the_succeeded_job_with_one_line_per_state(
    lifecycle: Lifecycle, service: FakeJobClient, lines: list[str]
) -> None:
    job = lifecycle.wait(submit(lifecycle), timeout_seconds=3600)
    assert job.job_state is JobState.SUCCEEDED
    assert [line.split(" is ")[1].split()[0] for line in lines] == ["PENDING", "RUNNING", "SUCCEEDED"]
    assert "console.cloud.google.com" in lines[0]
    assert all("console" not in line for line in lines[1:])
    assert service.calls["get"] <= 12  # a 10 s job: the fast start of the schedule


def test_wait_on_a_failed_job_names_it_quotes_the_service_and_says_what_next(
    lifecycle: Lifecycle, service: FakeJobClient
) -> None:
    service.next_final = JobState.FAILED
    service.next_message = "Line 3 of gs://b/train.jsonl: roles must alternate."
    job = submit(lifecycle)
    with pytest.raises(TuningJobFailedError) as caught:
        lifecycle.wait(job, timeout_seconds=3600)
    text = str(caught.value)
    assert str(job.name) in text
    assert "FAILED" in text
    assert "Line 3 of gs://b/train.jsonl: roles must alternate" in text
    assert "pulumi up" in text


def test_wait_on_a_job_cancelled_elsewhere_is_an_error(lifecycle: Lifecycle, service: FakeJobClient) -> None:
    job = submit(lifecycle)
    service.cancel_tuning_job(TuningJobName.parse(str(job.name)))
    with pytest.raises(TuningJobFailedError, match=r"CANCELLED.*cancelled outside"):
        lifecycle.wait(job, timeout_seconds=3600)


def test_deadline_leaves_the_job_running_and_says_the_next_up_adopts_it(
    lifecycle: Lifecycle, service: FakeJobClient, clock: VirtualClock
) -> None:
    service.job_seconds = 10_000
    job = submit(lifecycle)
    with pytest.raises(WaitTimeoutError) as caught:
        lifecycle.wait(job, timeout_seconds=600)
    assert clock.now == pytest.approx(600)
    assert "keeps running" in str(caught.value) and "adopts" in str(caught.value)
    assert str(job.name) in str(caught.value) and "RUNNING" in str(caught.value)
    assert service.calls["cancel"] == 0
    assert service.states()[JobState.RUNNING] == 1


def test_wait_rides_through_an_outage(lifecycle: Lifecycle, service: FakeJobClient, lines: list[str]) -> None:
    job = submit(lifecycle)
    service.failing_gets = 5
    assert lifecycle.wait(job, timeout_seconds=3600).job_state is JobState.SUCCEEDED
    assert sum("did not answer" in line for line in lines) == 1


def test_wait_gives_up_after_the_outage_budget(lifecycle: Lifecycle, service: FakeJobClient) -> None:
    lifecycle.outage_budget = 120
    job = submit(lifecycle)
    service.failing_gets = 10_000
    with pytest.raises(TransportError):
        lifecycle.wait(job, timeout_seconds=3600)
    assert service.calls["get"] < 20


# --- cancel and wait ------------------------------------------------------------------------


def deleted_after(lifecycle: Lifecycle, clock: VirtualClock, seconds: float) -> JobState:
    """Submit a job, let `seconds` pass, then delete it: the state delete waited for."""
    job = submit(lifecycle)
    clock.sleep(seconds)
    final = lifecycle.cancel_and_wait(TuningJobName.parse(str(job.name)))
    assert final is not None
    return final.job_state


def test_delete_of_a_running_job_cancels_and_waits_until_cancelled(
    lifecycle: Lifecycle, service: FakeJobClient, clock: VirtualClock
) -> None:
    assert deleted_after(lifecycle, clock, 5) is JobState.CANCELLED
    assert service.calls["cancel"] == 1


def test_delete_of_a_cancelling_job_only_waits(lifecycle: Lifecycle, service: FakeJobClient) -> None:
    job = submit(lifecycle)
    service.cancel_tuning_job(TuningJobName.parse(str(job.name)))
    final = lifecycle.cancel_and_wait(TuningJobName.parse(str(job.name)))
    assert final is not None and final.job_state is JobState.CANCELLED
    assert service.calls["cancel"] == 1  # the out-of-band one only


def test_delete_of_a_succeeded_job_changes_nothing_and_says_what_remains(
    lifecycle: Lifecycle, service: FakeJobClient, clock: VirtualClock, lines: list[str]
) -> None:
    assert deleted_after(lifecycle, clock, 60) is JobState.SUCCEEDED
    assert service.calls["cancel"] == 0
    assert "remain" in lines[-1] and "endpoints/" in lines[-1] and "models/" in lines[-1]


def test_delete_of_a_missing_job_is_fine(lifecycle: Lifecycle, service: FakeJobClient) -> None:
    assert (
        lifecycle.cancel_and_wait(TuningJobName.parse("projects/p-1234/locations/us-central1/tuningJobs/999"))
        is None
    )
    assert service.calls["cancel"] == 0
