"""The only HTTP code: every call to Vertex AI or the emulator goes through `VertexClient`.

It builds URLs from validated names only (`names`), attaches credentials only where `auth` allows,
maps errors to typed exceptions (`errors`), and owns retries in one place (`_call`): 429 and 5xx
answers and connection failures are retried with jittered exponential backoff, honouring
Retry-After, within a bounded number of attempts and a total time budget. A create is retried only
when it provably made nothing: the connection was never made, or the service answered 429/503. Any
other failure after a create was sent raises `AmbiguousCreateError`, so the caller looks the job up
instead of paying for a second one.

Cloud Storage's two object calls that dataset staging needs (metadata, media upload) go through the
same path, to `storage.googleapis.com` or the emulator.

The module-level functions at the end serve programs and scripts, with settings from the environment.
"""

from __future__ import annotations

import email.utils
import logging
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar
from urllib.parse import quote

import httpx
import tenacity
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from . import __version__, catalogue
from .auth import GoogleAuth
from .errors import (
    AmbiguousCreateError,
    ApiError,
    InvalidNameError,
    NotFoundError,
    TransportError,
    VertexTuningError,
)
from .names import (
    ContextName,
    EndpointName,
    GcsObjectName,
    LocationName,
    TensorboardName,
    TensorboardRunName,
    TimeSeriesName,
    TuningJobName,
    api_host,
)
from .settings import QUOTA_PROJECT_HEADER, Settings, resolve_settings
from .wire import (
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    Int64,
    JobState,
    LenientTimestamp,
    ListTuningJobsResponse,
    Part,
    TuningJob,
)

log = logging.getLogger(__name__)

USER_AGENT = f"pulumi-vertex-tuning/{__version__}"
STORAGE_URL = "https://storage.googleapis.com"
UPLOAD_CHUNK_BYTES = 1024 * 1024
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# The service answered these without doing anything, so even a create may be sent again.
CREATE_RETRYABLE_STATUSES = frozenset({429, 503})
# Failures that prove the request never left this process.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_Answer = TypeVar("_Answer")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries: attempts, a total time budget, and the backoff between tries."""

    max_attempts: int = 6
    budget: float = 300.0  # seconds for all attempts and waits of one call
    initial_backoff: float = 1.0
    max_backoff: float = 30.0
    max_retry_after: float = 120.0  # a longer Retry-After is capped, not obeyed


@dataclass(frozen=True)
class RetryNotice:
    """A call about to wait before trying again: what failed, which attempt comes next, how long."""

    call: str
    reason: str
    attempt: int
    max_attempts: int
    delay: float


@dataclass(frozen=True)
class MetricPoint:
    """One point of a training metric's time series."""

    step: int
    value: float
    wall_time: datetime | None = None


@dataclass(frozen=True)
class _Call:
    method: str
    location: str
    resource: str  # the validated resource path, without the API version
    verb: str = ""  # a custom method such as ":cancel"
    body: Mapping[str, Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    is_create: bool = False
    api: Literal["aiplatform", "storage"] = "aiplatform"
    content: Callable[[], Iterator[bytes]] | None = None  # a raw body, made afresh for each attempt
    headers: Mapping[str, str] = field(default_factory=dict)
    subject: str = ""  # what messages call the target when its path is not a name people use

    @property
    def target(self) -> str:
        """The path after the API version: `projects/…/tuningJobs/1:cancel`."""
        return f"{self.resource}{self.verb}"

    @property
    def named(self) -> str:
        """What the call acts on, as messages name it."""
        return self.subject or self.target

    @property
    def label(self) -> str:
        return f"{self.method} {self.named}"


class VertexClient:
    """A thread-safe client for the tuning API, one per process, shared by worker threads."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        credentials: Any = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_retry: Callable[[RetryNotice], None] | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self._on_retry = on_retry  # e.g. `progress.retry_line`: someone is waiting and should see it
        self._sleep = sleep
        self._clock = clock
        # The emulator never gets credentials; Google's hosts get them through GoogleAuth's one rule.
        auth = (
            None
            if settings.uses_emulator
            else GoogleAuth(
                credentials,
                impersonate_service_account=settings.impersonate_service_account,
                credentials_env=settings.credentials_env,
            )
        )
        # The quota project is not secret, so the emulator gets it too (tests see it arrive).
        quota = {QUOTA_PROJECT_HEADER: settings.quota_project} if settings.quota_project else {}
        self._http = httpx.Client(
            transport=transport,
            auth=auth,
            timeout=httpx.Timeout(settings.request_timeout, connect=min(10.0, settings.request_timeout)),
            headers={"User-Agent": USER_AGENT, **quota},
            follow_redirects=False,
        )

    def __enter__(self) -> VertexClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __getstate__(self) -> NoReturn:
        raise TypeError("VertexClient holds a connection pool and credentials; create it in the host process")

    def base_url(self, location: str) -> str:
        """`http://{emulator_host}` with an emulator, else the Google host that serves `location`."""
        if self.settings.emulator_host is not None:
            return f"http://{self.settings.emulator_host}"
        return f"https://{api_host(location)}"

    # --- tuning jobs ---------------------------------------------------------------------------

    def create_tuning_job(self, project: str, location: str, job: TuningJob) -> TuningJob:
        """Submit a tuning job. Raises AmbiguousCreateError when it may exist without an answer."""
        parent = LocationName(project, location)
        call = _Call("POST", location, f"{parent}/tuningJobs", body=job.to_json_dict(), is_create=True)
        return _answer(TuningJob, self._call(call), call)

    def get_tuning_job(self, name: str | TuningJobName) -> TuningJob:
        job = _job_name(name)
        call = _Call("GET", job.location, str(job))
        return _answer(TuningJob, self._call(call), call)

    def list_tuning_jobs(
        self, project: str, location: str, *, filter: str | None = None, page_size: int | None = None
    ) -> Iterator[TuningJob]:
        """Every tuning job in the location that matches `filter` (AIP-160), page after page."""
        parent = LocationName(project, location)
        params = {"filter": filter, "pageSize": page_size}
        call = _Call("GET", location, f"{parent}/tuningJobs", params=params)
        for page in self._pages(call):
            yield from _answer(ListTuningJobsResponse, page, call).tuning_jobs

    def cancel_tuning_job(self, name: str | TuningJobName) -> None:
        """Ask the service to cancel; cancellation is asynchronous (CANCELLING, then CANCELLED)."""
        job = _job_name(name)
        self._call(_Call("POST", job.location, str(job), verb=":cancel", body={}))

    # --- tuned models --------------------------------------------------------------------------

    def generate_content(
        self,
        endpoint: str | EndpointName,
        request: GenerateContentRequest,
        *,
        base_model: str | None = None,
    ) -> GenerateContentResponse:
        """Prompt a tuned endpoint. With `base_model` (the job's), the call goes to the host that
        serves that model's tuned endpoints: Gemini 3.x ones only on the `us` / `eu` multi-region
        hosts, whatever region they were tuned in (`catalogue.BaseModel.serving`)."""
        target = endpoint if isinstance(endpoint, EndpointName) else EndpointName.parse(endpoint)
        call = _Call(
            "POST",
            serving_location(target.location, base_model),
            str(target),
            verb=":generateContent",
            body=request.to_json_dict(),
        )
        return _answer(GenerateContentResponse, self._call(call), call)

    def read_metrics(self, job: TuningJob | str | TuningJobName) -> dict[str, list[MetricPoint]]:
        """Training metrics by name (`/train_total_loss`, ...), each sorted by step; {} before any exist.

        Follows the job's Vertex AI Experiment to its TensorBoard: experiment context, then the
        tensorboard experiment's runs, their time series, and each series' data. A point that
        cannot be read is skipped; an answer that cannot be used at all is a VertexTuningError.
        """
        if not isinstance(job, TuningJob):
            job = self.get_tuning_job(job)
        if not job.experiment:
            return {}
        experiment = ContextName.parse(job.experiment)  # InvalidNameError: never follow a hostile link
        context_call = _Call("GET", experiment.location, str(experiment))
        context = _answer(_Context, self._call(context_call), context_call)
        backing = context.metadata.get("backing_tensorboard_resource")
        if not backing:
            return {}
        tensorboard = TensorboardName.parse(backing)
        runs_call = _Call(
            "GET", tensorboard.location, f"{tensorboard}/experiments/{experiment.context_id}/runs"
        )
        metrics: dict[str, list[MetricPoint]] = defaultdict(list)
        for runs_page in self._pages(runs_call):
            for run in _answer(_RunsPage, runs_page, runs_call).tensorboard_runs:
                for series, points in self._read_run(TensorboardRunName.parse(run.name)):
                    metrics[series].extend(points)
        return {name: sorted(points, key=lambda point: point.step) for name, points in metrics.items()}

    def _read_run(self, run: TensorboardRunName) -> Iterator[tuple[str, list[MetricPoint]]]:
        location = run.tensorboard.location
        series_call = _Call("GET", location, f"{run}/timeSeries")
        for page in self._pages(series_call):
            for series in _answer(_TimeSeriesPage, page, series_call).tensorboard_time_series:
                name = TimeSeriesName.parse(series.name)
                read_call = _Call("GET", location, str(name), verb=":read")
                data = _answer(_ReadTimeSeries, self._call(read_call), read_call)
                points = [point.to_metric_point() for point in data.time_series_data.values]
                yield series.display_name or name.time_series_id, points

    # --- Cloud Storage: staging datasets from local files --------------------------------------

    def object_exists(self, gcs_object: GcsObjectName) -> bool:
        """Whether the object is there (its metadata answers), as a content-addressed upload asks."""
        path = f"storage/v1/b/{gcs_object.bucket}/o/{quote(gcs_object.object_name, safe='')}"
        try:
            self._call(_Call("GET", "", path, api="storage", subject=str(gcs_object)))
        except NotFoundError:
            return False
        return True

    def download_object(self, gcs_object: GcsObjectName) -> bytes:
        """An object's bytes (`alt=media`), as `dataset validate` reads a `gs://` dataset."""
        path = f"storage/v1/b/{gcs_object.bucket}/o/{quote(gcs_object.object_name, safe='')}"
        call = _Call("GET", "", path, params={"alt": "media"}, api="storage", subject=str(gcs_object))
        return self._send_raw(call)

    def upload_object(self, gcs_object: GcsObjectName, source: Path) -> None:
        """A media upload of a local file; safe to repeat, so retried like a read."""

        def chunks() -> Iterator[bytes]:
            with source.open("rb") as stream:
                yield from iter(lambda: stream.read(UPLOAD_CHUNK_BYTES), b"")

        call = _Call(
            "POST",
            "",
            f"upload/storage/v1/b/{gcs_object.bucket}/o",
            params={"uploadType": "media", "name": gcs_object.object_name},
            api="storage",
            subject=str(gcs_object),
            content=chunks,
            headers={"Content-Type": "application/jsonl", "Content-Length": str(source.stat().st_size)},
        )
        self._call(call)

    # --- the one place that sends requests -----------------------------------------------------

    def _pages(self, call: _Call) -> Iterator[dict[str, Any]]:
        """Each page of a list call, following nextPageToken."""
        token: str | None = None
        while True:
            params = {key: value for key, value in {**call.params, "pageToken": token}.items() if value}
            page = self._call(replace(call, params=params))
            yield page
            token = page.get("nextPageToken") or None
            if token is None:
                return

    def _call(self, call: _Call) -> dict[str, Any]:
        """Send `call` with retries; the JSON answer, or a typed error."""
        return self._retried(call, self._send)

    def _send_raw(self, call: _Call) -> bytes:
        """Send `call` with retries; the answer's bytes (a media download), or a typed error."""
        return self._retried(call, self._send_media)

    def _retried(self, call: _Call, send: Callable[[_Call], _Answer]) -> _Answer:
        policy = self.retry
        started = self._clock()
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(lambda error: _retryable(error, call.is_create)),
            wait=self._wait,
            stop=tenacity.stop_after_attempt(policy.max_attempts)
            | _OverBudget(started, self._clock, policy.budget),
            sleep=self._sleep,
            before_sleep=lambda state: _log_retry(call, state, policy, self._on_retry),
            reraise=True,
        )
        try:
            return retrying(send, call)
        except httpx.TransportError as error:
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            if call.is_create and not isinstance(error, NEVER_SENT):
                raise AmbiguousCreateError(method=call.method, resource=call.named, reason=reason) from error
            raise TransportError(method=call.method, resource=call.named, reason=reason) from error
        except ApiError as error:
            if call.is_create and error.http_status in RETRYABLE_STATUSES - CREATE_RETRYABLE_STATUSES:
                # A 500/502/504 can come from a front end after the backend created the job.
                reason = f"{error.http_status} {error.status}"
                raise AmbiguousCreateError(method=call.method, resource=call.named, reason=reason) from error
            raise

    def _url(self, call: _Call) -> str:
        if call.api == "storage":
            base = STORAGE_URL if self.settings.emulator_host is None else self.base_url(call.location)
            return f"{base}/{call.target}"
        return f"{self.base_url(call.location)}/{self.settings.api_version}/{call.target}"

    def _send(self, call: _Call) -> dict[str, Any]:
        response = self._http.request(
            call.method,
            self._url(call),
            json=call.body,
            content=call.content() if call.content is not None else None,
            params=call.params or None,
            headers=call.headers or None,
        )
        if response.is_success:
            return _json_object(response, call)
        raise ApiError.from_response(
            response,
            method=call.method,
            resource=call.named,
            retry_after=_retry_after(response.headers.get("Retry-After"), self.retry.max_retry_after),
        )

    def _send_media(self, call: _Call) -> bytes:
        response = self._http.request(call.method, self._url(call), params=call.params or None)
        if response.is_success:
            return response.content
        raise ApiError.from_response(
            response,
            method=call.method,
            resource=call.named,
            retry_after=_retry_after(response.headers.get("Retry-After"), self.retry.max_retry_after),
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ApiError) and error.retry_after is not None:
            return error.retry_after
        backoff = tenacity.wait_random_exponential(
            multiplier=self.retry.initial_backoff, max=self.retry.max_backoff
        )
        return float(backoff(state))


class _OverBudget(tenacity.stop.stop_base):
    """Stop when the next wait would end after the call's time budget (measured on `clock`)."""

    def __init__(self, started: float, clock: Callable[[], float], budget: float) -> None:
        self.started, self.clock, self.budget = started, clock, budget

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.clock() - self.started + retry_state.upcoming_sleep > self.budget


def _retryable(error: BaseException, is_create: bool) -> bool:
    if isinstance(error, ApiError):
        return error.http_status in (CREATE_RETRYABLE_STATUSES if is_create else RETRYABLE_STATUSES)
    return isinstance(error, NEVER_SENT if is_create else TRANSIENT)


def _retry_after(header: str | None, cap: float) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), capped; None if absent or unreadable."""
    if not header:
        return None
    try:
        seconds = float(header)
        if math.isnan(seconds):
            return None
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = (moment - datetime.now(timezone.utc)).total_seconds()
    return min(max(seconds, 0.0), cap)


def _log_retry(
    call: _Call,
    state: tenacity.RetryCallState,
    policy: RetryPolicy,
    on_retry: Callable[[RetryNotice], None] | None = None,
) -> None:
    error = state.outcome.exception() if state.outcome else None
    reason = f"{error.http_status} {error.status}" if isinstance(error, ApiError) else type(error).__name__
    if on_retry is not None:
        on_retry(
            RetryNotice(
                call.label, reason, state.attempt_number + 1, policy.max_attempts, state.upcoming_sleep
            )
        )
    log.debug(
        "retrying %s in %.1f s after %s (attempt %d of at most %d)",
        call.label,
        state.upcoming_sleep,
        reason,
        state.attempt_number + 1,
        policy.max_attempts,
    )


def _json_object(response: httpx.Response, call: _Call) -> dict[str, Any]:
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise VertexTuningError(
            f"{call.label} answered {response.status_code} with a body that is not a JSON object"
        )
    return data


class UnusableAnswerError(VertexTuningError):
    """The service answered 200 with a body this client cannot use (not a validation traceback)."""


_Parsed = TypeVar("_Parsed", bound=BaseModel)


def _answer(model: type[_Parsed], data: dict[str, Any], call: _Call) -> _Parsed:
    """The answer as `model`; one that does not fit is an UnusableAnswerError naming the call."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "the body"
        raise UnusableAnswerError(
            f"{call.label} answered with a {model.__name__.lstrip('_')} this client cannot use: "
            f"{where}: {problem['msg']} ({error.error_count()} problem(s)); "
            "upgrade pulumi-vertex-tuning, or report it with the answer"
        ) from None


def serving_location(endpoint_location: str, base_model: str | None) -> str:
    """The location whose host answers a tuned endpoint: the catalogue's serving location of the
    base model (3.x: `us` or `eu`), else the endpoint's own. The path keeps the endpoint's name
    as the service gave it (unconfirmed: whether 3.x paths also say `locations/us`)."""
    model = catalogue.find_base_model(base_model) if base_model else None
    return model.serving_location(endpoint_location) if model is not None else endpoint_location


def _job_name(name: str | TuningJobName) -> TuningJobName:
    return name if isinstance(name, TuningJobName) else TuningJobName.parse(name)


# --- responses of the metrics path (Vertex AI Experiments and TensorBoard) ---------------------


class _Message(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class _Context(_Message):
    metadata: dict[str, Any] = Field(default_factory=dict)


class _Named(_Message):
    name: str
    display_name: str | None = None


class _RunsPage(_Message):
    tensorboard_runs: list[_Named] = Field(default_factory=list)


class _TimeSeriesPage(_Message):
    tensorboard_time_series: list[_Named] = Field(default_factory=list)


class _Scalar(_Message):
    value: float = 0.0


class _DataPoint(_Message):
    step: Int64 = 0
    wall_time: LenientTimestamp = None
    scalar: _Scalar = Field(default_factory=_Scalar)

    def to_metric_point(self) -> MetricPoint:
        return MetricPoint(step=self.step, value=self.scalar.value, wall_time=self.wall_time)


def _readable_points(values: Any) -> Any:
    """Each point that can be read; a malformed one is skipped (metrics are an optional extra)."""
    if not isinstance(values, list):
        return []
    readable = []
    for value in values:
        try:
            readable.append(_DataPoint.model_validate(value))
        except ValidationError:
            log.debug("skipping a metric point this client cannot read: %r", value)
    return readable


class _TimeSeriesData(_Message):
    values: Annotated[list[_DataPoint], BeforeValidator(_readable_points)] = Field(default_factory=list)


class _ReadTimeSeries(_Message):
    time_series_data: _TimeSeriesData = Field(default_factory=_TimeSeriesData)


# --- plain functions for programs and scripts -------------------------------------------------


@contextmanager
def _client_for(
    project: str | None, location: str | None, client: VertexClient | None
) -> Iterator[VertexClient]:
    """The caller's client, or a new one from the environment, closed afterwards."""
    if client is not None:
        yield client
        return
    with VertexClient(resolve_settings(project=project, location=location)) as created:
        yield created


def list_tuning_jobs(
    project: str | None = None,
    location: str | None = None,
    *,
    state: JobState | str | None = None,
    labels: Mapping[str, str] | None = None,
    filter: str | None = None,
    client: VertexClient | None = None,
) -> list[TuningJob]:
    """Tuning jobs in a project and location, optionally only those in `state` carrying `labels`.

    The state and labels go into the service's AIP-160 filter and are checked again here, because
    label filters are not confirmed to work on the real service.
    """
    wanted_state = _job_state(state) if state is not None else None
    wanted_labels = dict(labels or {})
    with _client_for(project, location, client) as active:
        settings = active.settings
        jobs = active.list_tuning_jobs(
            project or settings.project,
            location or settings.location,
            filter=build_filter(state=wanted_state, labels=wanted_labels, extra=filter),
        )
        return [
            job
            for job in jobs
            if (wanted_state is None or job.job_state is wanted_state)
            and all((job.labels or {}).get(key) == value for key, value in wanted_labels.items())
        ]


def build_filter(
    *, state: JobState | None = None, labels: Mapping[str, str] | None = None, extra: str | None = None
) -> str | None:
    """An AIP-160 filter: `state="JOB_STATE_RUNNING" AND labels.team="ml"`, ANDed with `extra`."""
    terms = [f"({extra})"] if extra else []
    if state is not None:
        terms.append(f'state="{state.value}"')
    for key, value in (labels or {}).items():
        # Checked so that a label can never change the filter's meaning (no quotes, spaces, operators).
        if not LABEL_KEY.fullmatch(key) or not LABEL_VALUE.fullmatch(value):
            raise InvalidNameError(
                f"label {key}={value!r} is not valid; keys and values are lowercase letters, digits, "
                "'_' and '-' (up to 63 characters, keys start with a letter)"
            )
        terms.append(f'labels.{key}="{value}"')
    return " AND ".join(terms) or None


def _job_state(state: JobState | str) -> JobState:
    if isinstance(state, JobState):
        return state
    name = state.upper()
    try:
        return JobState(name if name.startswith("JOB_STATE_") else f"JOB_STATE_{name}")
    except ValueError:
        known = ", ".join(member.short for member in JobState)
        raise ValueError(f"unknown job state {state!r}; use one of {known}") from None


def get_tuning_job(name: str, *, client: VertexClient | None = None) -> TuningJob:
    """The tuning job `projects/{p}/locations/{l}/tuningJobs/{id}`, as the service has it now."""
    job = _job_name(name)
    with _client_for(job.project, job.location, client) as active:
        return active.get_tuning_job(job)


def cancel_tuning_job(name: str, *, client: VertexClient | None = None) -> None:
    """Ask the service to cancel a tuning job; it moves to CANCELLING, then CANCELLED."""
    job = _job_name(name)
    with _client_for(job.project, job.location, client) as active:
        active.cancel_tuning_job(job)


def generate_content(
    endpoint: str,
    prompt: str | GenerateContentRequest,
    *,
    system_instruction: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    top_k: float | None = None,
    max_output_tokens: int | None = None,
    candidate_count: int | None = None,
    stop_sequences: list[str] | None = None,
    base_model: str | None = None,
    client: VertexClient | None = None,
) -> GenerateContentResponse:
    """Prompt a tuned model through its endpoint (a tuning job's `tuned_model_endpoint_name`).

    `base_model`: the job's base model, so that a Gemini 3.x tuned model is called on its
    multi-region host (`us` / `eu`)."""
    target = EndpointName.parse(endpoint)
    if isinstance(prompt, GenerateContentRequest):
        request = prompt
    else:
        config = GenerationConfig(
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            max_output_tokens=max_output_tokens,
            candidate_count=candidate_count,
            stop_sequences=stop_sequences,
        )
        request = GenerateContentRequest(
            contents=[Content(role="user", parts=[Part(text=prompt)])],
            system_instruction=Content(parts=[Part(text=system_instruction)]) if system_instruction else None,
            generation_config=config if config.model_dump(exclude_none=True) else None,
        )
    with _client_for(target.project, target.location, client) as active:
        return active.generate_content(target, request, base_model=base_model)


def read_metrics(job_name: str, *, client: VertexClient | None = None) -> dict[str, list[MetricPoint]]:
    """A tuning job's training metrics by name (`/train_total_loss`, ...), each sorted by step."""
    job = _job_name(job_name)
    with _client_for(job.project, job.location, client) as active:
        return active.read_metrics(job)
