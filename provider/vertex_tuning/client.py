"""The only HTTP code: every call to Vertex AI or the emulator goes through `VertexClient`.

It builds URLs from validated names only (`names`), attaches credentials only where `auth` allows,
maps errors to typed exceptions (`errors`), and owns retries in one place (`_retried`): 429 and 5xx
answers and connection failures are retried with jittered exponential backoff, honouring
Retry-After, within a bounded number of attempts and a total time budget. A create is retried only
when it provably made nothing: the connection was never made, or the service answered 429/503. Any
other failure after a create was sent raises `AmbiguousCreateError`, so the caller looks the job up
instead of paying for a second one.

The tuning-job and tuned-endpoint calls are here. Reading training metrics (`metrics_reader`) and
Cloud Storage's object calls (`storage`) are built on the same loop: they hand it their calls
(`Request`) and get JSON, pages or bytes back. Plain functions for programs are in `api`.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import httpx
import tenacity
from pydantic import BaseModel, ValidationError

from . import __version__, catalogue, metrics_reader, storage
from .auth import GoogleAuth
from .calls import Call, Request
from .errors import AmbiguousCreateError, ApiError, TransportError, UnusableAnswerError
from .names import EndpointName, GcsObjectName, LocationName, TuningJobName, api_host
from .settings import QUOTA_PROJECT_HEADER, Settings
from .wire import GenerateContentRequest, GenerateContentResponse, ListTuningJobsResponse, TuningJob

log = logging.getLogger(__name__)

USER_AGENT = f"pulumi-vertex-tuning/{__version__}"
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# The service answered these without doing anything, so even a create may be sent again.
CREATE_RETRYABLE_STATUSES = frozenset({429, 503})
# Failures that prove the request never left this process.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_Answer = TypeVar("_Answer")
_Parsed = TypeVar("_Parsed", bound=BaseModel)


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
        way = settings.transport
        # The emulator never gets credentials; Google's hosts get them through GoogleAuth's one rule.
        auth = (
            None
            if settings.uses_emulator
            else GoogleAuth(
                credentials,
                impersonate_service_account=way.impersonate_service_account,
                credentials_env=way.credentials_env,
            )
        )
        # The quota project is not secret, so the emulator gets it too (tests see it arrive).
        quota = {QUOTA_PROJECT_HEADER: way.quota_project} if way.quota_project else {}
        self._http = httpx.Client(
            transport=transport,
            auth=auth,
            timeout=httpx.Timeout(way.request_timeout, connect=min(10.0, way.request_timeout)),
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

    def create_tuning_job(self, parent: LocationName, job: TuningJob) -> TuningJob:
        """Submit a tuning job. Raises AmbiguousCreateError when it may exist without an answer."""
        call = Call("POST", parent.location, f"{parent}/tuningJobs", body=job.to_json_dict(), is_create=True)
        return self.fetch(TuningJob, call)

    def get_tuning_job(self, name: TuningJobName) -> TuningJob:
        return self.fetch(TuningJob, Call("GET", name.location, str(name)))

    def list_tuning_jobs(
        self, parent: LocationName, *, filter: str | None = None, page_size: int | None = None
    ) -> Iterator[TuningJob]:
        """Every tuning job in the location that matches `filter` (AIP-160), page after page."""
        call = Call(
            "GET", parent.location, f"{parent}/tuningJobs", params={"filter": filter, "pageSize": page_size}
        )
        for page in self.fetch_pages(ListTuningJobsResponse, call):
            yield from page.tuning_jobs

    def cancel_tuning_job(self, name: TuningJobName) -> None:
        """Ask the service to cancel; cancellation is asynchronous (CANCELLING, then CANCELLED)."""
        self.request(Call("POST", name.location, str(name), verb=":cancel", body={}))

    # --- tuned models --------------------------------------------------------------------------

    def generate_content(
        self, endpoint: EndpointName, request: GenerateContentRequest, *, base_model: str | None = None
    ) -> GenerateContentResponse:
        """Prompt a tuned endpoint. With `base_model` (the job's), the call goes to the host that
        serves that model's tuned endpoints: Gemini 3.x ones only on the `us` / `eu` multi-region
        hosts, whatever region they were tuned in (`catalogue.BaseModel.serving`)."""
        location = serving_location(endpoint.location, base_model)
        call = Call("POST", location, str(endpoint), verb=":generateContent", body=request.to_json_dict())
        return self.fetch(GenerateContentResponse, call)

    # --- built on the loop elsewhere: metrics (`metrics_reader`), Cloud Storage (`storage`) -------

    def read_metrics(self, job: TuningJob | TuningJobName) -> dict[str, list[metrics_reader.MetricPoint]]:
        """A job's training metrics by name, each sorted by step (`metrics_reader.read_metrics`)."""
        return metrics_reader.read_metrics(self, job)

    def object_exists(self, gcs_object: GcsObjectName) -> bool:
        return storage.object_exists(self, gcs_object)

    def download_object(self, gcs_object: GcsObjectName) -> bytes:
        return storage.download_object(self, gcs_object)

    def upload_object(self, gcs_object: GcsObjectName, source: Path) -> None:
        storage.upload_object(self, gcs_object, source)

    # --- the one place that sends requests -----------------------------------------------------

    def fetch(self, model: type[_Parsed], call: Call) -> _Parsed:
        """Send `call` with retries; its answer as `model` (`answer`)."""
        return answer(model, self.request(call), call)

    def fetch_pages(self, model: type[_Parsed], call: Call) -> Iterator[_Parsed]:
        """Each page of a list call as `model`, following nextPageToken."""
        token: str | None = None
        while True:
            params = {key: value for key, value in {**call.params, "pageToken": token}.items() if value}
            page = replace(call, params=params)
            data = self.request(page)
            yield answer(model, data, page)
            token = data.get("nextPageToken") or None
            if token is None:
                return

    def request(self, call: Request) -> dict[str, Any]:
        """Send `call` with retries; the JSON answer, or a typed error."""
        return self._retried(call, self._send)

    def request_media(self, call: Request) -> bytes:
        """Send `call` with retries; the answer's bytes (a media download), or a typed error."""
        return self._retried(call, self._send_media)

    def _retried(self, call: Request, send: Callable[[Request], _Answer]) -> _Answer:
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

    def _send(self, call: Request) -> dict[str, Any]:
        response = self._http.request(
            call.method,
            call.url(self),
            json=call.body,
            content=call.content() if call.content is not None else None,
            params=call.params or None,
            headers=call.headers or None,
        )
        if response.is_success:
            return _json_object(response, call)
        raise self._error(response, call)

    def _send_media(self, call: Request) -> bytes:
        response = self._http.request(call.method, call.url(self), params=call.params or None)
        if response.is_success:
            return response.content
        raise self._error(response, call)

    def _error(self, response: httpx.Response, call: Request) -> ApiError:
        retry_after = _retry_after(response.headers.get("Retry-After"), self.retry.max_retry_after)
        return ApiError.from_response(
            response, method=call.method, resource=call.named, retry_after=retry_after
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
    call: Request,
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


def _json_object(response: httpx.Response, call: Request) -> dict[str, Any]:
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise UnusableAnswerError(
            f"{call.label} answered {response.status_code} with a body that is not a JSON object"
        )
    return data


def answer(model: type[_Parsed], data: dict[str, Any], call: Request) -> _Parsed:
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
