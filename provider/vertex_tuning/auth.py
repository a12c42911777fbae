"""Google credentials for the Vertex AI API, and the one rule for where a bearer token may go.

Credentials are loaded lazily, in the process that calls the API (the provider host), from
pulumi-gcp's `GOOGLE_CREDENTIALS` (a path or the JSON itself) when set, else Application Default
Credentials, optionally impersonating a service account. They live only on a
`GoogleAuth` held by the HTTP client, which refuses to be pickled, so they can never reach the
provider blob or the Pulumi state. A token is attached only to HTTPS requests for
`*.googleapis.com`; the emulator and every other host get none. The same requests carry the
credentials' own quota project as `x-goog-user-project` unless the settings chose one.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import httpx

from .errors import ConfigurationError
from .settings import QUOTA_PROJECT_HEADER

CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GOOGLE_API_DOMAIN = ".googleapis.com"


def token_allowed(url: httpx.URL) -> bool:
    """The single place that decides whether a request may carry a Google bearer token."""
    return url.scheme == "https" and url.host.endswith(GOOGLE_API_DOMAIN)


class GoogleAuth(httpx.Auth):
    """An httpx auth flow that adds a fresh Google access token to requests for Google's API hosts."""

    def __init__(
        self,
        credentials: Any = None,
        *,
        impersonate_service_account: str | None = None,
        credentials_env: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        # `credentials` is a google.auth Credentials object; None means: load them from
        # `credentials_env` (the name of a variable holding a path or JSON), else ADC.
        self._credentials = credentials
        self._impersonate = impersonate_service_account
        self._credentials_env = credentials_env
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()  # one refresh at a time across the provider's worker threads

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if token_allowed(request.url):
            request.headers["Authorization"] = f"Bearer {self.token()}"
            quota = getattr(self._credentials, "quota_project_id", None)
            if quota and QUOTA_PROJECT_HEADER not in request.headers:
                request.headers[QUOTA_PROJECT_HEADER] = str(quota)
        yield request

    def token(self) -> str:
        """A valid access token, refreshing the credentials when they are missing or expired."""
        import google.auth.exceptions
        import google.auth.transport.requests

        with self._lock:
            if self._credentials is None:
                self._credentials = self._load()
            try:
                if not self._credentials.valid:
                    self._credentials.refresh(google.auth.transport.requests.Request())
            except google.auth.exceptions.TransportError as error:
                # The token endpoint was unreachable and our request was never sent: safe to retry.
                raise httpx.ConnectError(
                    f"could not reach Google's token endpoint: {type(error).__name__}"
                ) from None
            except google.auth.exceptions.RefreshError as error:
                raise ConfigurationError(
                    f"Google credentials could not be refreshed ({_first_line(error)}); run "
                    "`gcloud auth application-default login` or fix GOOGLE_APPLICATION_CREDENTIALS"
                ) from None
            return str(self._credentials.token)

    def _load(self) -> Any:
        import google.auth
        import google.auth.exceptions
        from google.auth import impersonated_credentials

        if self._credentials_env is not None:
            credentials = self._from_variable(self._credentials_env)
        else:
            try:
                credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
            except google.auth.exceptions.DefaultCredentialsError:
                raise ConfigurationError(
                    "no Google credentials found; run `gcloud auth application-default login`, set "
                    "GOOGLE_APPLICATION_CREDENTIALS, or set VERTEX_AI_EMULATOR_HOST to use the emulator"
                ) from None
        if self._impersonate is None:
            return credentials
        return impersonated_credentials.Credentials(  # type: ignore[no-untyped-call]
            source_credentials=credentials,
            target_principal=self._impersonate,
            target_scopes=[CLOUD_PLATFORM_SCOPE],
            quota_project_id=getattr(credentials, "quota_project_id", None),
        )

    def _from_variable(self, name: str) -> Any:
        """Credentials from pulumi-gcp's variable: the JSON itself, or the path of a JSON file."""
        value = self._environ.get(name, "").strip()
        is_json = value.startswith("{")
        try:
            info = json.loads(value) if is_json else json.loads(Path(value).read_text(encoding="utf-8"))
            return _credentials_from_info(info)
        except (OSError, ValueError, TypeError, KeyError) as error:
            # The value may be a private key: name the variable, never quote it.
            kind = "JSON" if is_json else "the path of a credentials JSON file"
            raise ConfigurationError(
                f"{name} holds no usable Google credentials (it looks like {kind}: "
                f"{type(error).__name__}); set it to a service account key file's path or its JSON content"
            ) from None

    def __getstate__(self) -> NoReturn:
        raise TypeError(
            "GoogleAuth holds credentials and is never pickled; create it where the API is called"
        )

    def __repr__(self) -> str:
        return f"GoogleAuth(impersonate_service_account={self._impersonate!r})"


def _credentials_from_info(info: Any) -> Any:
    """A service account key or user credentials, by their `type` (the loaders Google recommends)."""
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    kind = info.get("type") if isinstance(info, dict) else None
    if kind == "service_account":
        return service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=[CLOUD_PLATFORM_SCOPE]
        )
    if kind == "authorized_user":
        return user_credentials.Credentials.from_authorized_user_info(  # type: ignore[no-untyped-call]
            info, scopes=[CLOUD_PLATFORM_SCOPE]
        )
    raise ValueError(
        f"credentials of type {kind!r} are not supported here; use GOOGLE_APPLICATION_CREDENTIALS"
    )


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__
