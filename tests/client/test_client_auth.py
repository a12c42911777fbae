"""Credentials: ADC with the cloud-platform scope, impersonation when configured, one refresh at a time
across threads, and failures turned into errors that say what to do (or a retryable connect error)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import google.auth
import google.auth.exceptions
import httpx
import pytest
from client_fakes import JOB_NAME, job_json
from google.auth import impersonated_credentials

from support.credentials import CANARY_TOKEN, FakeCredentials
from vertex_tuning.auth import CLOUD_PLATFORM_SCOPE, GoogleAuth
from vertex_tuning.client import VertexClient
from vertex_tuning.errors import ConfigurationError
from vertex_tuning.names import TuningJobName
from vertex_tuning.settings import Settings, Transport


class SlowCredentials(FakeCredentials):
    """Refreshing takes a moment, so unsynchronised threads would refresh more than once."""

    def refresh(self, request: object) -> None:
        time.sleep(0.05)
        super().refresh(request)


class FailingCredentials(FakeCredentials):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def refresh(self, request: object) -> None:
        raise self.error


def test_adc_is_loaded_lazily_with_the_cloud_platform_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    scopes: list[object] = []

    def fake_default(scopes_arg: object = None, **_: object) -> tuple[FakeCredentials, str]:
        scopes.append(scopes_arg)
        return FakeCredentials(), "adc-project"

    monkeypatch.setattr(google.auth, "default", lambda scopes=None, **kw: fake_default(scopes, **kw))
    auth = GoogleAuth()
    assert scopes == []  # nothing loaded until a token is needed

    assert auth.token() == CANARY_TOKEN
    assert auth.token() == CANARY_TOKEN
    assert scopes == [[CLOUD_PLATFORM_SCOPE]]


def test_impersonation_wraps_adc_for_the_configured_service_account(monkeypatch: pytest.MonkeyPatch) -> None:
    source = FakeCredentials()
    monkeypatch.setattr(google.auth, "default", lambda scopes=None, **kw: (source, "adc-project"))
    target = "tuner@my-project.iam.gserviceaccount.com"

    credentials = GoogleAuth(impersonate_service_account=target)._load()

    assert isinstance(credentials, impersonated_credentials.Credentials)
    assert credentials._target_principal == target
    assert isinstance(credentials._source_credentials, FakeCredentials)  # google-auth keeps a copy
    assert credentials._target_scopes == [CLOUD_PLATFORM_SCOPE]


def test_missing_adc_says_how_to_log_in_or_use_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_adc(**_: object) -> None:
        raise google.auth.exceptions.DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.setattr(google.auth, "default", no_adc)

    with pytest.raises(
        ConfigurationError, match=r"gcloud auth application-default login.*VERTEX_AI_EMULATOR_HOST"
    ):
        GoogleAuth().token()


def test_a_refused_refresh_is_a_configuration_error_and_an_unreachable_one_is_retryable() -> None:
    refused = GoogleAuth(
        FailingCredentials(google.auth.exceptions.RefreshError("invalid_grant: Bad Request"))
    )
    unreachable = GoogleAuth(FailingCredentials(google.auth.exceptions.TransportError("DNS failure")))

    with pytest.raises(ConfigurationError, match=r"could not be refreshed \(invalid_grant: Bad Request\)"):
        refused.token()
    with pytest.raises(httpx.ConnectError):  # the client retries it: the API request was never sent
        unreachable.token()


def test_threads_sharing_a_client_refresh_the_token_once() -> None:
    credentials = SlowCredentials()
    seen: list[str] = []
    lock = threading.Lock()

    def answer(request: httpx.Request) -> httpx.Response:
        with lock:
            seen.append(request.headers["Authorization"])
        return httpx.Response(200, json=job_json())

    client = VertexClient(
        Settings(project="tuning-proj"), transport=httpx.MockTransport(answer), credentials=credentials
    )
    with client, ThreadPoolExecutor(max_workers=8) as pool:
        jobs = list(pool.map(lambda _: client.get_tuning_job(TuningJobName.parse(JOB_NAME)), range(64)))

    assert credentials.refreshes == 1
    assert {job.name for job in jobs} == {job_json()["name"]}
    assert seen == [f"Bearer {CANARY_TOKEN}"] * 64


# --- pulumi-gcp's GOOGLE_CREDENTIALS and the quota project ----------------------------------------


def test_google_credentials_may_hold_the_json_itself_or_a_path(tmp_path) -> None:
    user = {"type": "authorized_user", "client_id": "id", "client_secret": "s", "refresh_token": "r"}
    path = tmp_path / "user.json"
    path.write_text(json.dumps({**user, "quota_project_id": "from-file"}))

    inline = GoogleAuth(
        credentials_env="GOOGLE_CREDENTIALS", environ={"GOOGLE_CREDENTIALS": json.dumps(user)}
    )
    in_file = GoogleAuth(credentials_env="GCLOUD_KEYFILE_JSON", environ={"GCLOUD_KEYFILE_JSON": str(path)})

    assert inline._load().refresh_token == "r"
    assert in_file._load().quota_project_id == "from-file"


def test_unusable_google_credentials_name_the_variable_and_never_quote_it() -> None:
    secret = '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY----- SECRET"}'

    with pytest.raises(ConfigurationError) as caught:
        GoogleAuth(credentials_env="GOOGLE_CREDENTIALS", environ={"GOOGLE_CREDENTIALS": secret}).token()

    assert "GOOGLE_CREDENTIALS" in str(caught.value)
    assert "SECRET" not in str(caught.value)


class QuotaCredentials(FakeCredentials):
    @property
    def quota_project_id(self) -> str:
        return "creds-quota"


def sent_headers(settings: Settings, credentials: object) -> httpx.Headers:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=job_json())

    client = VertexClient(settings, transport=httpx.MockTransport(handler), credentials=credentials)
    client.get_tuning_job(TuningJobName.parse(JOB_NAME))
    return seen[0].headers


def test_the_credentials_quota_project_is_sent_unless_the_settings_choose_one() -> None:
    own = sent_headers(Settings(project="proj-1"), QuotaCredentials())
    chosen = sent_headers(
        Settings(project="proj-1", transport=Transport(quota_project="bill-me")), QuotaCredentials()
    )
    none = sent_headers(Settings(project="proj-1"), FakeCredentials())

    assert own["x-goog-user-project"] == "creds-quota"
    assert chosen["x-goog-user-project"] == "bill-me"
    assert "x-goog-user-project" not in none
