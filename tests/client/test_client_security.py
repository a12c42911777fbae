"""Decision 10: hostile names never produce a request, and a bearer token goes only to Google's API
hosts over HTTPS: never to the emulator, never into an exception, a log record or a pickle."""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Callable

import dill
import httpx
import pytest
from client_fakes import JOB_NAME, LOCATION, PROJECT, ClientFactory, api_error, job_json
from hypothesis import event, given, settings
from hypothesis import strategies as st

from support.credentials import CANARY_TOKEN, FakeCredentials
from support.recorder import Recorder
from vertex_tuning import api
from vertex_tuning.auth import GoogleAuth, token_allowed
from vertex_tuning.client import RetryPolicy, VertexClient
from vertex_tuning.errors import InvalidNameError, VertexTuningError
from vertex_tuning.names import (
    EndpointName,
    LocationName,
    TuningJobName,
    api_host,
    validate_location,
    validate_numeric_id,
    validate_project,
)
from vertex_tuning.settings import Settings, Transport, resolve_settings
from vertex_tuning.wire import GenerateContentRequest, TuningJob

INJECTIONS = [
    "us-central1.evil.com/x",
    "evil.com",
    "../",
    "..",
    "us-central1/../../x",
    "%2F",
    "us-central1%2F..",
    "us-central1\n",
    "us-central1\r\nHost: evil.com",
    " us-central1",
    "us-central1 ",
    "us-\u0441entral1",  # Cyrillic es, looks like "c"
    "tuning-pr\u043ej",  # Cyrillic o
    "\uff11\uff12\uff13",  # fullwidth digits
    "\u0661\u0662\u0663",  # Arabic-Indic digits: str.isdigit() says yes
    "123?x=1",
    "123#frag",
    "123@evil.com",
    "",
]


def job_in(project: str = PROJECT, location: str = LOCATION, job_id: str = "123") -> str:
    return f"projects/{project}/locations/{location}/tuningJobs/{job_id}"


def endpoint_in(project: str = PROJECT, location: str = LOCATION, endpoint_id: str = "9") -> str:
    return f"projects/{project}/locations/{location}/endpoints/{endpoint_id}"


def calls_with(bad: str) -> dict[str, Callable[[VertexClient], object]]:
    """Every client call, with the hostile value in each place a name part can go."""
    job = TuningJob(base_model="gemini-3.1-flash-lite")
    request = GenerateContentRequest()
    return {
        "create/project": lambda c: c.create_tuning_job(LocationName(bad, LOCATION), job),
        "create/location": lambda c: c.create_tuning_job(LocationName(PROJECT, bad), job),
        "list/project": lambda c: list(c.list_tuning_jobs(LocationName(bad, LOCATION))),
        "list/location": lambda c: list(c.list_tuning_jobs(LocationName(PROJECT, bad))),
        "get/project": lambda c: c.get_tuning_job(TuningJobName.parse(job_in(project=bad))),
        "get/location": lambda c: c.get_tuning_job(TuningJobName.parse(job_in(location=bad))),
        "get/id": lambda c: c.get_tuning_job(TuningJobName.parse(job_in(job_id=bad))),
        "cancel/location": lambda c: c.cancel_tuning_job(TuningJobName.parse(job_in(location=bad))),
        "cancel/id": lambda c: c.cancel_tuning_job(TuningJobName.parse(job_in(job_id=bad))),
        "generate/location": lambda c: c.generate_content(
            EndpointName.parse(endpoint_in(location=bad)), request
        ),
        "generate/id": lambda c: c.generate_content(
            EndpointName.parse(endpoint_in(endpoint_id=bad)), request
        ),
        "metrics/id": lambda c: c.read_metrics(TuningJobName.parse(job_in(job_id=bad))),
    }


@pytest.mark.parametrize("bad", INJECTIONS)
def test_hostile_names_raise_before_any_request_leaves(
    make_client: ClientFactory, recorder: Recorder, bad: str
) -> None:
    recorder.script(httpx.Response(200, json=job_json()))
    client = make_client()

    for where, call in calls_with(bad).items():
        with pytest.raises(InvalidNameError):
            call(client)
        assert recorder.requests == [], f"{where} sent a request for {bad!r}"


@pytest.mark.parametrize("bad", INJECTIONS)
def test_hostile_settings_and_script_arguments_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidNameError):
        Settings(project=PROJECT, location=bad)
    if bad.strip():  # a blank input counts as unset, and falls through to the next source
        with pytest.raises(InvalidNameError):
            resolve_settings(location=bad, project=PROJECT, environ={})
        with pytest.raises(InvalidNameError):
            resolve_settings(project=bad, environ={})
    # The script functions parse the name before they build a client, so nothing is even configured.
    with pytest.raises(InvalidNameError):
        api.get_tuning_job(job_in(location=bad))
    with pytest.raises(InvalidNameError):
        api.generate_content(endpoint_in(endpoint_id=bad), "hi")


def test_names_the_server_returns_are_validated_too(make_client: ClientFactory, recorder: Recorder) -> None:
    """A hostile experiment link in a job must not send the next request (with a token) elsewhere."""
    experiment = "projects/p-12345/locations/us-central1.evil.com/metadataStores/default/contexts/x"
    recorder.script(httpx.Response(200, json=job_json(experiment=experiment)))

    with pytest.raises(InvalidNameError):
        make_client().read_metrics(TuningJobName.parse(JOB_NAME))

    assert [request.url.path for request in recorder.requests] == [f"/v1/{JOB_NAME}"]


HOSTILE_PART = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"[a-z0-9.%/\\-]{1,14}", fullmatch=True),  # valid characters mixed with path ones
)


def part(*valid: str) -> st.SearchStrategy[str]:
    """Mostly valid values, a third of the time a hostile one, so both branches get exercised."""
    return st.integers(0, 2).flatmap(lambda pick: HOSTILE_PART if pick == 0 else st.sampled_from(valid))


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=40), part("us-central1", "europe-west4", "asia-south1", "global", "us", "eu"))
)
def test_any_location_is_rejected_or_lands_on_its_own_google_host(location: str) -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200, json={}))
    with VertexClient(
        Settings(project=PROJECT), transport=transport, credentials=FakeCredentials()
    ) as client:
        try:
            list(client.list_tuning_jobs(LocationName(PROJECT, location)))
        except InvalidNameError:
            assert sent == []
            return
    shared_hosts = {
        "global": "aiplatform.googleapis.com",
        "us": "aiplatform.us.rep.googleapis.com",
        "eu": "aiplatform.eu.rep.googleapis.com",
    }
    expected_host = shared_hosts.get(location, f"{location}-aiplatform.googleapis.com")
    assert [request.url.host for request in sent] == [expected_host]
    assert sent[0].url.path == f"/v1/projects/{PROJECT}/locations/{location}/tuningJobs"


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=80),
        st.builds(
            job_in,
            part("tuning-proj", "123456789"),
            part("us-central1", "europe-west4", "global", "us", "eu"),
            part("1", "42", "9" * 19),
        ),
    )
)
def test_any_job_name_is_rejected_or_requested_verbatim_from_its_own_host(name: str) -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200, json={}))
    settings = Settings(project=PROJECT)
    with VertexClient(settings, transport=transport, credentials=FakeCredentials()) as client:
        try:
            client.get_tuning_job(TuningJobName.parse(name))
        except InvalidNameError:
            event("rejected")
            assert sent == []
            return
    event("accepted")
    (request,) = sent
    assert request.url.host == api_host(name.split("/")[3])
    assert request.url.raw_path.decode() == f"/v1/{name}"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_any_id_or_project_is_rejected_or_plain_ascii(value: str) -> None:
    for validate in (validate_numeric_id, validate_project, validate_location):
        try:
            validate(value)
        except InvalidNameError as error:
            assert str(error)
        else:
            assert value.isascii() and value.isprintable()
            assert not set(value) & set("/%.?#@:\\ \t\r\n")


# --- where the token goes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url,allowed",
    [
        ("https://us-central1-aiplatform.googleapis.com/v1/x", True),
        ("https://aiplatform.googleapis.com/v1/x", True),
        ("https://aiplatform.eu.rep.googleapis.com/v1/x", True),
        ("http://us-central1-aiplatform.googleapis.com/v1/x", False),
        ("https://googleapis.com.evil.com/v1/x", False),
        ("https://evilgoogleapis.com/v1/x", False),
        ("https://evil.com/.googleapis.com", False),
        ("https://evil.com?host=x.googleapis.com", False),
        ("http://127.0.0.1:8765/v1/x", False),
        ("https://localhost/v1/x", False),
    ],
)
def test_only_https_googleapis_hosts_may_receive_a_token(url: str, allowed: bool) -> None:
    assert token_allowed(httpx.URL(url)) is allowed


@pytest.mark.parametrize("location", ["us-central1", "europe-west4", "global", "us", "eu"])
def test_google_hosts_get_the_bearer_token_and_the_user_agent(
    make_client: ClientFactory, recorder: Recorder, credentials: FakeCredentials, location: str
) -> None:
    recorder.script(httpx.Response(200, json=job_json()))

    make_client().get_tuning_job(TuningJobName.parse(job_in(location=location)))

    (request,) = recorder.requests
    assert request.url.scheme == "https"
    assert request.headers["Authorization"] == f"Bearer {CANARY_TOKEN}"
    assert request.headers["User-Agent"].startswith("pulumi-vertex-tuning/")
    assert credentials.refreshes == 1


def test_the_emulator_never_gets_a_token_nor_a_credentials_lookup(
    make_client: ClientFactory, recorder: Recorder, credentials: FakeCredentials
) -> None:
    recorder.script(httpx.Response(200, json=job_json()))
    client = make_client(transport=Transport(emulator_host="127.0.0.1:8765"))

    client.get_tuning_job(TuningJobName.parse(JOB_NAME))
    client.create_tuning_job(LocationName(PROJECT, LOCATION), TuningJob(base_model="gemini-3.1-flash-lite"))
    list(client.list_tuning_jobs(LocationName(PROJECT, LOCATION)))

    assert [request.url.host for request in recorder.requests] == ["127.0.0.1"] * 3
    assert all(request.url.scheme == "http" for request in recorder.requests)
    assert all("Authorization" not in request.headers for request in recorder.requests)
    assert credentials.refreshes == 0


def test_google_auth_adds_nothing_for_other_hosts(credentials: FakeCredentials) -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    with httpx.Client(transport=transport, auth=GoogleAuth(credentials)) as http:
        http.get("https://evil.com/v1/x")
        http.get("http://aiplatform.googleapis.com/v1/x")

    assert all("Authorization" not in request.headers for request in sent)
    assert credentials.refreshes == 0


def test_redirects_are_not_followed_so_a_token_cannot_be_bounced_elsewhere(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(httpx.Response(302, headers={"Location": "https://evil.com/steal"}))

    with pytest.raises(VertexTuningError, match="failed with 302"):
        make_client().get_tuning_job(TuningJobName.parse(JOB_NAME))

    assert [request.url.host for request in recorder.requests] == ["us-central1-aiplatform.googleapis.com"]


FAILURES = [
    api_error(404, "NOT_FOUND", "Tuning job not found."),
    api_error(403, "PERMISSION_DENIED", "Permission denied."),
    httpx.Response(502, text="<html>Bad gateway</html>"),
    httpx.ConnectError("[Errno 111] Connection refused"),
    httpx.ReadError("connection reset by peer"),
]


@pytest.mark.parametrize("failure", FAILURES, ids=["404", "403", "502-html", "connect", "read"])
def test_the_token_never_appears_in_errors_or_logs(
    make_client: ClientFactory,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
    failure: httpx.Response | Exception,
) -> None:
    recorder.script(failure)
    client = make_client(retry=RetryPolicy(max_attempts=2))
    raised: list[BaseException] = []

    with caplog.at_level(logging.DEBUG):
        for call in (
            lambda: client.get_tuning_job(TuningJobName.parse(JOB_NAME)),
            lambda: client.create_tuning_job(
                LocationName(PROJECT, LOCATION), TuningJob(base_model="gemini-3.1-flash-lite")
            ),
        ):
            with pytest.raises(VertexTuningError) as caught:
                call()
            raised.append(caught.value)

    assert all(request.headers["Authorization"] == f"Bearer {CANARY_TOKEN}" for request in recorder.requests)
    for error in raised:
        text = "".join(traceback.format_exception(error))  # the chained httpx errors too
        assert CANARY_TOKEN not in text
        assert CANARY_TOKEN not in repr(error)
        assert CANARY_TOKEN not in pickle.dumps(error).decode("latin-1")
    assert caplog.records, "the retries should have been logged"
    assert all(CANARY_TOKEN not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("dumps", [pickle.dumps, dill.dumps], ids=["pickle", "dill"])
def test_objects_holding_credentials_refuse_to_be_pickled(
    make_client: ClientFactory,
    recorder: Recorder,
    credentials: FakeCredentials,
    dumps: Callable[[object], bytes],
) -> None:
    recorder.script(httpx.Response(200, json=job_json()))
    client = make_client()
    client.get_tuning_job(TuningJobName.parse(JOB_NAME))  # the token is now loaded

    with pytest.raises(TypeError, match="never pickled"):
        dumps(GoogleAuth(credentials))
    with pytest.raises(TypeError, match="create it in the host process"):
        dumps(client)
    # Settings are what a provider may keep, and they pickle without anything secret in them.
    assert CANARY_TOKEN.encode() not in dumps(client.settings)
    assert CANARY_TOKEN not in repr(GoogleAuth(credentials))
