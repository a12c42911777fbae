"""Error mapping: Google's error envelope becomes a typed exception that keeps the service's words,
bodies that are not envelopes still give a sensible error, and every message names the request."""

from __future__ import annotations

import pickle

import httpx
import pytest
from client_fakes import JOB_NAME, ClientFactory, api_error

from support.recorder import Recorder
from vertex_tuning import errors
from vertex_tuning.errors import (
    ERROR_CLASSES,
    AmbiguousCreateError,
    ApiError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    TransportError,
    UnauthenticatedError,
    UnavailableError,
)
from vertex_tuning.names import TuningJobName

DETAILS = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ADAPTER_SIZE"}]


def from_response(response: httpx.Response) -> ApiError:
    return ApiError.from_response(response, method="GET", resource=JOB_NAME)


@pytest.mark.parametrize(
    "code,status,error_class",
    [
        (400, "INVALID_ARGUMENT", InvalidArgumentError),
        (400, "FAILED_PRECONDITION", FailedPreconditionError),
        (401, "UNAUTHENTICATED", UnauthenticatedError),
        (403, "PERMISSION_DENIED", PermissionDeniedError),
        (404, "NOT_FOUND", NotFoundError),
        (429, "RESOURCE_EXHAUSTED", ResourceExhaustedError),
        (503, "UNAVAILABLE", UnavailableError),
    ],
)
def test_the_envelope_picks_the_class_by_status_and_keeps_every_field(
    code: int, status: str, error_class: type[ApiError]
) -> None:
    response = httpx.Response(
        code,
        json={
            "error": {
                "code": code,
                "message": "The adapter size is not supported.",
                "status": status,
                "details": DETAILS,
            }
        },
    )

    error = from_response(response)

    assert type(error) is error_class
    assert (error.http_status, error.status, error.message) == (
        code,
        status,
        "The adapter size is not supported.",
    )
    assert error.details == DETAILS
    assert str(error).startswith(
        f"GET {JOB_NAME} failed with {code} {status} (The adapter size is not supported.)"
    )


def test_every_canonical_status_has_a_class_that_is_an_api_error() -> None:
    assert all(issubclass(error_class, ApiError) for error_class in ERROR_CLASSES.values())
    assert {"NOT_FOUND", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "UNAUTHENTICATED"} <= set(ERROR_CLASSES)


@pytest.mark.parametrize(
    "response,error_class,status",
    [
        (httpx.Response(502, text="<html><body>Bad Gateway</body></html>"), UnavailableError, "UNAVAILABLE"),
        (httpx.Response(404, text=""), NotFoundError, "NOT_FOUND"),
        (httpx.Response(418, json={"unexpected": True}), ApiError, "UNKNOWN"),
        (httpx.Response(507, text="full"), errors.InternalError, "INTERNAL"),
        (httpx.Response(400, json={"error": "invalid_grant"}), InvalidArgumentError, "INVALID_ARGUMENT"),
        (
            httpx.Response(429, json={"error": {"code": 429, "message": "slow down"}}),
            ResourceExhaustedError,
            "RESOURCE_EXHAUSTED",
        ),
    ],
    ids=["html", "empty", "json-without-envelope", "unmapped-5xx", "oauth-style", "envelope-without-status"],
)
def test_bodies_without_a_full_envelope_fall_back_to_the_http_status(
    response: httpx.Response, error_class: type[ApiError], status: str
) -> None:
    error = from_response(response)

    assert type(error) is error_class
    assert error.status == status
    assert error.message  # never empty: the body, or the reason phrase
    assert error.details == []


def test_a_long_html_page_is_cut_short_in_the_message() -> None:
    error = from_response(httpx.Response(502, text="<html>" + "x" * 10_000 + "</html>"))

    assert len(str(error)) < 500


def test_messages_say_what_to_do_next() -> None:
    not_found = from_response(api_error(404, "NOT_FOUND", "Tuning job not found."))
    denied = from_response(api_error(403, "PERMISSION_DENIED", "Permission denied on resource."))
    unauthenticated = from_response(api_error(401, "UNAUTHENTICATED", "Request had invalid credentials."))

    assert "check the name, project and location" in str(not_found)
    assert "Vertex AI User on the project" in str(denied)
    assert "gcloud auth application-default login" in str(unauthenticated)


def test_transport_errors_name_the_request_and_say_what_to_check() -> None:
    lost = TransportError(method="GET", resource=JOB_NAME, reason="ConnectError: refused")
    ambiguous = AmbiguousCreateError(
        method="POST", resource="projects/p-1234/locations/l/tuningJobs", reason="ReadError"
    )

    assert str(lost).startswith(f"GET {JOB_NAME} got no answer from the service (ConnectError: refused)")
    assert "VERTEX_AI_EMULATOR_HOST" in str(lost)
    assert "look it up by its labels before creating another" in str(ambiguous)
    assert isinstance(ambiguous, TransportError)


@pytest.mark.parametrize(
    "error",
    [
        NotFoundError(http_status=404, status="NOT_FOUND", message="gone", method="GET", resource=JOB_NAME),
        AmbiguousCreateError(
            method="POST", resource="projects/p-1234/locations/l/tuningJobs", reason="reset"
        ),
        errors.InvalidNameError("location 'x' is not valid"),
    ],
)
def test_errors_survive_pickling_with_their_fields_and_message(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301  (our own bytes)

    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)


def test_the_client_raises_the_typed_error_of_a_real_answer(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(api_error(404, "NOT_FOUND", "The TuningJob does not exist."))

    with pytest.raises(NotFoundError) as caught:
        make_client().get_tuning_job(TuningJobName.parse(JOB_NAME))

    assert caught.value.method == "GET"
    assert caught.value.resource == JOB_NAME
    assert caught.value.message == "The TuningJob does not exist."


def test_cancel_errors_name_the_custom_method(make_client: ClientFactory, recorder: Recorder) -> None:
    recorder.script(api_error(400, "FAILED_PRECONDITION", "The job is already finished."))

    with pytest.raises(FailedPreconditionError, match=rf"POST {JOB_NAME}:cancel failed with 400"):
        make_client().cancel_tuning_job(TuningJobName.parse(JOB_NAME))
