"""Where the project, location and endpoint come from, resolved in one place (decision 7).

Each setting is taken from the first source that has it:
1. the resource's own input (`project=`, `location=`), or a CLI option,
2. the stack config: `vertex-tuning:*`, then pulumi-gcp's `gcp:*` keys (its users already set them),
3. the environment, with pulumi-gcp's variables in pulumi-gcp's documented order: `GOOGLE_PROJECT`,
   `GOOGLE_CLOUD_PROJECT`, `GCLOUD_PROJECT`, `CLOUDSDK_CORE_PROJECT`; `GOOGLE_CLOUD_LOCATION`
   (Google's SDKs), `GOOGLE_REGION`, `GCLOUD_REGION`, `GOOGLE_CLOUD_REGION`, `CLOUDSDK_COMPUTE_REGION`;
   `GOOGLE_IMPERSONATE_SERVICE_ACCOUNT`; `GOOGLE_CREDENTIALS` (a path or the JSON itself),
   `GOOGLE_CLOUD_KEYFILE_JSON`, `GCLOUD_KEYFILE_JSON`; `VERTEX_AI_EMULATOR_HOST`,
4. for the project only, the project of Application Default Credentials, looked up last and only if
   needed (never with an emulator: it needs no Google credentials at all).
The location defaults to `us-central1`, the region every tunable Gemini model is offered in.

The quota project (sent as `x-goog-user-project`, which user credentials need) is
`vertex-tuning:billingProject`, else `gcp:billingProject` when `gcp:userProjectOverride` is true,
else `GOOGLE_BILLING_PROJECT` when `USER_PROJECT_OVERRIDE` is true, else `GOOGLE_CLOUD_QUOTA_PROJECT`,
else the credentials' own `quota_project_id` (applied by `auth`).
`Settings` holds nothing secret (credentials are named by the variable holding them, never copied),
so it may be pickled with the provider. It says where calls go (project, location, API version;
the client derives the host) and holds the `Transport` they travel by (emulator, credentials,
quota project, timeout).
Check, which must not reach the network, asks `resolve_place` instead: a project that only
Application Default Credentials could name is "not known yet" there, never a stand-in.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .errors import ConfigurationError
from .names import DEFAULT_LOCATION, validate_location, validate_project

API_VERSIONS = ("v1", "v1beta1")
DEFAULT_REQUEST_TIMEOUT = 60.0

PROJECT_CONFIG = ("vertex-tuning:project", "gcp:project")
LOCATION_CONFIG = ("vertex-tuning:location", "gcp:region")
EMULATOR_CONFIG = "vertex-tuning:emulatorHost"
IMPERSONATE_CONFIG = "vertex-tuning:impersonateServiceAccount"
IMPERSONATE_CONFIGS = (IMPERSONATE_CONFIG, "gcp:impersonateServiceAccount")
API_VERSION_CONFIG = "vertex-tuning:apiVersion"
TIMEOUT_CONFIG = "vertex-tuning:requestTimeout"
BILLING_CONFIG = "vertex-tuning:billingProject"
GCP_BILLING_CONFIG = "gcp:billingProject"
GCP_USER_PROJECT_OVERRIDE_CONFIG = "gcp:userProjectOverride"
AUTH_CONFIG_KEYS = (
    "gcp:impersonateServiceAccount",
    BILLING_CONFIG,
    GCP_BILLING_CONFIG,
    GCP_USER_PROJECT_OVERRIDE_CONFIG,
)
"""Stack config keys beyond the original ones that the provider must read in `configure()`."""

PROJECT_ENV = ("GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT")
LOCATION_ENV = (
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_REGION",
    "GCLOUD_REGION",
    "GOOGLE_CLOUD_REGION",
    "CLOUDSDK_COMPUTE_REGION",
)
EMULATOR_ENV = "VERTEX_AI_EMULATOR_HOST"
IMPERSONATE_ENV = ("GOOGLE_IMPERSONATE_SERVICE_ACCOUNT",)
CREDENTIALS_ENV = ("GOOGLE_CREDENTIALS", "GOOGLE_CLOUD_KEYFILE_JSON", "GCLOUD_KEYFILE_JSON")
"""pulumi-gcp's credential variables, a path or the JSON itself; unset: Application Default Credentials."""
BILLING_ENV = "GOOGLE_BILLING_PROJECT"
USER_PROJECT_OVERRIDE_ENV = "USER_PROJECT_OVERRIDE"
QUOTA_PROJECT_ENV = "GOOGLE_CLOUD_QUOTA_PROJECT"
QUOTA_PROJECT_HEADER = "x-goog-user-project"

PROJECT_LOOKED_AT = (
    "the resource input `project`, stack config "
    + " and ".join(PROJECT_CONFIG)
    + ", environment variables "
    + ", ".join(PROJECT_ENV)
)
"""Where a project is looked for without network, for messages that say nothing was found."""

_HOST_PORT = re.compile(
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(?P<port>[0-9]{1,5})"
)
_SERVICE_ACCOUNT = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}@[a-z0-9][a-z0-9.-]{0,250}\.[a-z]{2,}")


@dataclass(frozen=True)
class Transport:
    """How requests travel, whatever their target: emulator, credentials, quota project, timeout."""

    emulator_host: str | None = None
    impersonate_service_account: str | None = None
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    quota_project: str | None = None
    """Sent as `x-goog-user-project`; None leaves it to the credentials' own quota project."""
    credentials_env: str | None = None
    """The environment variable holding the credentials (a path or JSON); None: ADC."""

    def __post_init__(self) -> None:
        if self.emulator_host is not None:
            validate_emulator_host(self.emulator_host)
        if self.impersonate_service_account is not None and not _SERVICE_ACCOUNT.fullmatch(
            self.impersonate_service_account
        ):
            raise ConfigurationError(
                f"{IMPERSONATE_CONFIG} must be a service account email such as "
                f"'tuner@my-project.iam.gserviceaccount.com', got {self.impersonate_service_account!r}"
            )
        if self.quota_project is not None:
            validate_project(self.quota_project, "the quota project")
        if not 0 < self.request_timeout <= 3600:
            raise ConfigurationError(
                f"{TIMEOUT_CONFIG} must be a number of seconds between 0 and 3600, got {self.request_timeout}"
            )


@dataclass(frozen=True)
class Settings:
    """Resolved, validated settings for talking to Vertex AI or the emulator (what `VertexClient`
    takes): the project, location and API version calls are made for, and the `Transport` they
    travel by. Nothing secret."""

    project: str
    location: str = DEFAULT_LOCATION
    api_version: str = "v1"
    transport: Transport = field(default_factory=Transport)

    def __post_init__(self) -> None:
        validate_project(self.project)
        validate_location(self.location)
        validate_api_version(self.api_version)

    @property
    def emulator_host(self) -> str | None:
        return self.transport.emulator_host

    @property
    def uses_emulator(self) -> bool:
        return self.emulator_host is not None


@dataclass(frozen=True)
class Place:
    """The project and location a resource leaves unset, as far as they resolve without network."""

    project: str | None
    """None: given by the resource, or no project known yet (only Application Default Credentials
    may name one, at create)."""
    location: str | None
    problems: tuple[tuple[str, str], ...] = ()
    """(input name, reason) for a project or location that did not resolve."""


def validate_api_version(value: str) -> str:
    if value not in API_VERSIONS:
        raise ConfigurationError(
            f"API version {value!r} is not supported; set {API_VERSION_CONFIG} to one of "
            f"{', '.join(API_VERSIONS)}"
        )
    return value


def validate_emulator_host(value: str) -> str:
    """`host:port` (Google's `*_EMULATOR_HOST` convention): any host, plain HTTP, no credentials."""
    match = _HOST_PORT.fullmatch(value) if value.isascii() else None
    if match is None or not 0 < int(match["port"]) < 65536:
        raise ConfigurationError(
            "the emulator host must be host:port such as '127.0.0.1:8765' (no scheme, no path), "
            f"got {value!r}; fix {EMULATOR_ENV} or {EMULATOR_CONFIG}"
        )
    return value


def config_problems(config: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every bad value among the connection settings in stack config, as (config key, reason).

    Check reports these whether or not the resource names its own project and location: they
    shape every call a create would make."""
    rules: dict[str, Callable[[str], object]] = {
        TIMEOUT_CONFIG: lambda value: Transport(request_timeout=_seconds(value)),
        API_VERSION_CONFIG: validate_api_version,
        IMPERSONATE_CONFIG: lambda value: Transport(impersonate_service_account=value),
        EMULATOR_CONFIG: validate_emulator_host,
    }
    found = []
    for key, rule in rules.items():
        value = config.get(key)
        if value is None or not str(value).strip():
            continue  # blank means unset, as in resolve_settings
        try:
            rule(str(value))
        except ConfigurationError as error:
            found.append((key, str(error)))
    return found


def adc_project() -> str | None:
    """The project Application Default Credentials name, if any (may reach the metadata server)."""
    import google.auth
    import google.auth.exceptions

    try:
        _, project = google.auth.default()
    except google.auth.exceptions.DefaultCredentialsError:
        return None
    return str(project) if project else None


def resolve_settings(
    *,
    project: str | None = None,
    location: str | None = None,
    config: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    default_project: Callable[[], str | None] = adc_project,
    impersonate_service_account: str | None = None,
    api_version: str | None = None,
) -> Settings:
    """Resolve settings from the resource input, stack config, environment and ADC, in that order."""
    sources = _Sources(config or {}, os.environ if environ is None else environ)
    resolved_project = _project(sources, project, default_project)
    if resolved_project is None:
        raise ConfigurationError(NO_PROJECT)
    resolved_location = _location(sources, location)
    return Settings(
        project=resolved_project,
        location=resolved_location,
        api_version=_api_version(sources, api_version),
        transport=_transport(sources, impersonate_service_account),
    )


def resolve_place(
    *,
    project: object,
    location: object,
    config: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Place:
    """For check, without network: what the resource leaves unset (None), from config or environment.

    A given value is not looked up (the input rules judge it) and comes back as None; an unset one
    that does not resolve (a bad value, or a connection setting that would stop every call) is a
    problem under its input's name."""
    sources = _Sources(config or {}, os.environ if environ is None else environ)
    problems: list[tuple[str, str]] = []
    connection = _connection_problem(sources)  # a setting that stops every call stops this one

    def attempt(name: str, resolve: Callable[[], str | None]) -> str | None:
        try:
            found = resolve()
        except ConfigurationError as error:
            problems.append((name, str(error)))
            return None
        if connection is not None:
            problems.append((name, connection))
            return None
        return found

    def unset_project() -> str | None:
        found = _project(sources, None, lambda: None)
        if found is None and sources.emulator_host() is not None:
            raise ConfigurationError(NO_PROJECT)  # an emulator has no credentials to ask
        return found

    found_project = attempt("project", unset_project) if project is None else None
    found_location = attempt("location", lambda: _location(sources, None)) if location is None else None
    return Place(found_project, found_location, tuple(problems))


def _connection_problem(sources: _Sources) -> str | None:
    try:
        _api_version(sources, None)
        _transport(sources, None)
    except ConfigurationError as error:
        return str(error)
    return None


NO_PROJECT = (
    "no Google Cloud project is set; give the resource a `project`, or run "
    "`pulumi config set vertex-tuning:project <id>` (or gcp:project), or set GOOGLE_CLOUD_PROJECT "
    f"(looked at {PROJECT_LOOKED_AT})"
)


def _project(sources: _Sources, given: str | None, default_project: Callable[[], str | None]) -> str | None:
    """The validated project, or None when no source names one (ADC is never asked with an emulator)."""
    found = sources.first(("resource input `project`", given), config=PROJECT_CONFIG, env=PROJECT_ENV)
    if found is None and sources.emulator_host() is None:
        adc = default_project()
        found = _Found(adc, "Application Default Credentials") if adc else None
    if found is None:
        return None
    return validate_project(found.value, found.source)


def _location(sources: _Sources, given: str | None) -> str:
    found = sources.first(
        ("resource input `location`", given), config=LOCATION_CONFIG, env=LOCATION_ENV
    ) or _Found(DEFAULT_LOCATION, "the default")
    return validate_location(found.value, found.source)


def _api_version(sources: _Sources, given: str | None) -> str:
    found = sources.first(("resource input `api_version`", given), config=(API_VERSION_CONFIG,))
    return validate_api_version(found.value) if found else "v1"


def _transport(sources: _Sources, impersonate_service_account: str | None) -> Transport:
    impersonate = sources.first(
        ("--impersonate-service-account", impersonate_service_account),
        config=IMPERSONATE_CONFIGS,
        env=IMPERSONATE_ENV,
    )
    timeout = sources.first(config=(TIMEOUT_CONFIG,))
    credentials = sources.first(env=CREDENTIALS_ENV)
    return Transport(
        emulator_host=sources.emulator_host(),
        impersonate_service_account=impersonate.value if impersonate else None,
        request_timeout=_seconds(timeout.value) if timeout else DEFAULT_REQUEST_TIMEOUT,
        quota_project=_quota_project(sources),
        credentials_env=credentials.source.removeprefix("environment variable ") if credentials else None,
    )


def _quota_project(sources: _Sources) -> str | None:
    """pulumi-gcp's billing project (only with its user-project override), else Google's quota variable."""
    own = sources.first(config=(BILLING_CONFIG,))
    if own is not None:
        return own.value
    gcp = sources.first(config=(GCP_BILLING_CONFIG,))
    if gcp is not None and _true(sources.first(config=(GCP_USER_PROJECT_OVERRIDE_CONFIG,))):
        return gcp.value
    billing = sources.first(env=(BILLING_ENV,))
    if billing is not None and _true(sources.first(env=(USER_PROJECT_OVERRIDE_ENV,))):
        return billing.value
    quota = sources.first(env=(QUOTA_PROJECT_ENV,))
    return quota.value if quota else None


def _true(found: _Found | None) -> bool:
    return found is not None and found.value.strip().lower() in ("true", "1", "yes")


@dataclass(frozen=True)
class _Found:
    value: str
    source: str


@dataclass(frozen=True)
class _Sources:
    config: Mapping[str, str]
    environ: Mapping[str, str]

    def emulator_host(self) -> str | None:
        found = self.first(config=(EMULATOR_CONFIG,), env=(EMULATOR_ENV,))
        return found.value if found else None

    def first(
        self, *given: tuple[str, str | None], config: tuple[str, ...] = (), env: tuple[str, ...] = ()
    ) -> _Found | None:
        """The first non-blank value, with where it came from (for error messages)."""
        candidates = [
            *given,
            *((f"stack config {key}", self.config.get(key)) for key in config),
            *((f"environment variable {key}", self.environ.get(key)) for key in env),
        ]
        for source, value in candidates:
            # Blank means unset; anything else is kept verbatim so that validation sees it as given.
            if value is not None and str(value).strip():
                return _Found(str(value), source)
        return None


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigurationError(f"{TIMEOUT_CONFIG} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds):  # NaN would pass `0 < x <= 3600` checks written the other way
        raise ConfigurationError(f"{TIMEOUT_CONFIG} must be a number of seconds, got {value!r}")
    return seconds
