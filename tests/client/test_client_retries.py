"""Retries live in one place: which failures are retried, how long the client waits, and when it stops.

Every wait goes through an injected sleep on a fake clock, so the tests record the waits instead of
sleeping them."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from client_fakes import JOB_NAME, LOCATION, PROJECT, ClientFactory, api_error, job_json

from support.clock import VirtualClock
from support.recorder import Recorder
from vertex_tuning.client import RetryPolicy
from vertex_tuning.errors import (
    AmbiguousCreateError,
    ApiError,
    DeadlineExceededError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    TransportError,
    UnavailableError,
)
from vertex_tuning.names import EndpointName, LocationName, TuningJobName
from vertex_tuning.wire import TuningJob

OK_JOB = httpx.Response(200, json=job_json())
NEW_JOB = TuningJob(base_model="gemini-3.1-flash-lite")


def create(make_client: ClientFactory, **retry: float) -> TuningJob:
    policy = RetryPolicy(**retry) if retry else None  # type: ignore[arg-type]
    return make_client(retry=policy).create_tuning_job(LocationName(PROJECT, LOCATION), NEW_JOB)


@pytest.mark.parametrize("code,status", [(429, "RESOURCE_EXHAUSTED"), (503, "UNAVAILABLE")])
def test_get_retries_429_and_503_waiting_as_retry_after_says(
    make_client: ClientFactory, recorder: Recorder, clock: VirtualClock, code: int, status: str
) -> None:
    recorder.script(
        api_error(code, status, **{"Retry-After": "7"}),
        api_error(code, status, **{"Retry-After": "3"}),
        OK_JOB,
    )

    job = make_client().get_tuning_job(TuningJobName.parse(JOB_NAME))

    assert job.name == JOB_NAME
    assert len(recorder.requests) == 3
    assert clock.sleeps == [7.0, 3.0]


def test_retry_after_as_an_http_date_is_honoured_and_capped(
    make_client: ClientFactory, recorder: Recorder, clock: VirtualClock
) -> None:
    far_future = format_datetime(datetime.now(timezone.utc) + timedelta(days=1), usegmt=True)
    past = format_datetime(datetime.now(timezone.utc) - timedelta(hours=1), usegmt=True)
    recorder.script(
        api_error(503, "UNAVAILABLE", **{"Retry-After": far_future}),
        api_error(503, "UNAVAILABLE", **{"Retry-After": past}),
        OK_JOB,
    )

    make_client(retry=RetryPolicy(max_retry_after=45.0)).get_tuning_job(TuningJobName.parse(JOB_NAME))

    assert clock.sleeps == [45.0, 0.0]


@pytest.mark.parametrize("header", ["nan", "soon", "", "-5"])
def test_unusable_retry_after_values_fall_back_to_backoff_or_zero(
    make_client: ClientFactory, recorder: Recorder, clock: VirtualClock, header: str
) -> None:
    recorder.script(api_error(503, "UNAVAILABLE", **{"Retry-After": header}), OK_JOB)

    make_client(retry=RetryPolicy(initial_backoff=1.0, max_backoff=1.0)).get_tuning_job(
        TuningJobName.parse(JOB_NAME)
    )

    assert len(clock.sleeps) == 1
    assert 0.0 <= clock.sleeps[0] <= 1.0


@pytest.mark.parametrize(
    "code,error",
    [(500, InternalError), (502, UnavailableError), (503, UnavailableError), (504, DeadlineExceededError)],
)
def test_server_errors_without_retry_after_back_off_with_growing_jittered_waits(
    make_client: ClientFactory, recorder: Recorder, clock: VirtualClock, code: int, error: type[ApiError]
) -> None:
    recorder.script(httpx.Response(code, text="<html>gateway</html>"))
    policy = RetryPolicy(max_attempts=6, budget=10_000.0, initial_backoff=1.0, max_backoff=8.0)

    with pytest.raises(error) as caught:
        make_client(retry=policy).get_tuning_job(TuningJobName.parse(JOB_NAME))

    assert caught.value.http_status == code
    assert len(recorder.requests) == 6
    assert len(clock.sleeps) == 5
    # Full jitter: each wait lies between 0 and the exponential ceiling, which the cap bounds.
    ceilings = [1.0, 2.0, 4.0, 8.0, 8.0]
    assert all(0.0 <= wait <= ceiling for wait, ceiling in zip(clock.sleeps, ceilings, strict=True))


def test_attempts_are_bounded_and_the_last_error_is_raised(
    make_client: ClientFactory, recorder: Recorder, clock: VirtualClock
) -> None:
    recorder.script(api_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", **{"Retry-After": "1"}))

    with pytest.raises(ResourceExhaustedError, match="Quota exceeded"):
        make_client(retry=RetryPolicy(max_attempts=3)).get_tuning_job(TuningJobName.parse(JOB_NAME))

    assert len(recorder.requests) == 3
    assert clock.sleeps == [1.0, 1.0]


def test_the_time_budget_stops_retries_before_a_wait_would_overrun_it(
    make_client: ClientFactory, recorder: Recorder, clock: VirtualClock
) -> None:
    recorder.script(api_error(503, "UNAVAILABLE", **{"Retry-After": "20"}))

    with pytest.raises(UnavailableError):
        make_client(retry=RetryPolicy(max_attempts=100, budget=50.0)).get_tuning_job(
            TuningJobName.parse(JOB_NAME)
        )

    # 20 + 20 = 40 fits in the budget of 50; a third wait would end at 60.
    assert clock.sleeps == [20.0, 20.0]
    assert len(recorder.requests) == 3


@pytest.mark.parametrize(
    "code,status,error",
    [
        (400, "INVALID_ARGUMENT", InvalidArgumentError),
        (403, "PERMISSION_DENIED", PermissionDeniedError),
        (404, "NOT_FOUND", NotFoundError),
    ],
)
def test_client_errors_other_than_429_are_never_retried(
    make_client: ClientFactory,
    recorder: Recorder,
    clock: VirtualClock,
    code: int,
    status: str,
    error: type[Exception],
) -> None:
    recorder.script(api_error(code, status, **{"Retry-After": "1"}))

    with pytest.raises(error):
        make_client().get_tuning_job(TuningJobName.parse(JOB_NAME))
    with pytest.raises(error):
        make_client().create_tuning_job(LocationName(PROJECT, LOCATION), NEW_JOB)

    assert len(recorder.requests) == 2
    assert clock.sleeps == []


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ReadError("reset"), httpx.ReadTimeout("slow")]
)
def test_reads_ride_through_connection_failures(
    make_client: ClientFactory, recorder: Recorder, failure: Exception
) -> None:
    recorder.script(failure, failure, OK_JOB)

    assert make_client().get_tuning_job(TuningJobName.parse(JOB_NAME)).name == JOB_NAME
    assert len(recorder.requests) == 3


def test_a_connection_that_never_recovers_becomes_a_transport_error(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(httpx.ConnectError("[Errno 111] Connection refused"))

    with pytest.raises(TransportError, match=r"GET .*tuningJobs/123 got no answer.*Connection refused"):
        make_client(retry=RetryPolicy(max_attempts=4)).get_tuning_job(TuningJobName.parse(JOB_NAME))

    assert len(recorder.requests) == 4


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("no syn-ack"),
        api_error(429, "RESOURCE_EXHAUSTED"),
        api_error(503, "UNAVAILABLE"),
    ],
    ids=["connect-error", "connect-timeout", "429", "503"],
)
def test_create_is_retried_when_it_provably_created_nothing(
    make_client: ClientFactory, recorder: Recorder, failure: httpx.Response | Exception
) -> None:
    recorder.script(failure, OK_JOB)

    assert create(make_client).name == JOB_NAME
    assert [request.method for request in recorder.requests] == ["POST", "POST"]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadError("connection reset by peer"),
        httpx.RemoteProtocolError("server disconnected without sending a response"),
        httpx.ReadTimeout("timed out"),
        httpx.WriteError("broken pipe"),
        api_error(500, "INTERNAL"),
        api_error(502, "UNAVAILABLE"),
        api_error(504, "DEADLINE_EXCEEDED"),
    ],
    ids=["read-error", "remote-protocol", "read-timeout", "write-error", "500", "502", "504"],
)
def test_create_is_never_resent_after_an_ambiguous_failure(
    make_client: ClientFactory, recorder: Recorder, clock: VirtualClock, failure: httpx.Response | Exception
) -> None:
    recorder.script(failure, OK_JOB)

    with pytest.raises(AmbiguousCreateError, match="may have been created") as caught:
        create(make_client)

    assert isinstance(caught.value, TransportError)
    assert len(recorder.requests) == 1
    assert clock.sleeps == []
    assert caught.value.resource == f"projects/{PROJECT}/locations/{LOCATION}/tuningJobs"


@pytest.mark.parametrize("verb", ["list", "cancel", "generate"])
def test_list_cancel_and_generate_content_are_retried(
    make_client: ClientFactory, recorder: Recorder, verb: str
) -> None:
    recorder.script(api_error(503, "UNAVAILABLE"), httpx.ReadError("reset"), httpx.Response(200, json={}))
    client = make_client()

    if verb == "list":
        assert list(client.list_tuning_jobs(LocationName(PROJECT, LOCATION))) == []
    elif verb == "cancel":
        client.cancel_tuning_job(TuningJobName.parse(JOB_NAME))
    else:
        from vertex_tuning.wire import GenerateContentRequest

        client.generate_content(
            EndpointName.parse(f"projects/{PROJECT}/locations/{LOCATION}/endpoints/9"),
            GenerateContentRequest(),
        )

    assert len(recorder.requests) == 3


def test_each_retry_is_logged_at_debug_with_the_request_and_the_reason(
    make_client: ClientFactory, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.script(
        api_error(503, "UNAVAILABLE", **{"Retry-After": "2"}), httpx.ConnectError("refused"), OK_JOB
    )

    with caplog.at_level(logging.DEBUG, logger="vertex_tuning.client"):
        make_client().get_tuning_job(TuningJobName.parse(JOB_NAME))

    retries = [record for record in caplog.records if record.name == "vertex_tuning.client"]
    assert [record.levelno for record in retries] == [logging.DEBUG, logging.DEBUG]
    assert "GET " + JOB_NAME in retries[0].getMessage()
    assert "503 UNAVAILABLE" in retries[0].getMessage()
    assert "in 2.0 s" in retries[0].getMessage()
    assert "ConnectError" in retries[1].getMessage()
