"""The dynamic provider behind `TuningJob`: check, diff, create, read, update, delete, configure.

The provider object is pickled into every resource's state, so it holds nothing but its class:
clients (connection pools, credentials) are built lazily in the host process and cached per
target at module level; the stack config read in `configure()` lives on the instance only in
the host and is never pickled. One instance serves many worker threads at once: methods share
only the lock-guarded module caches below.

Each method is short and linear and resolves its settings once; the work is in `spec` (inputs,
from the table in `fields`), `outputs` (the job as outputs), `lifecycle` (the job) and `client` (HTTP).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from . import (
    cancellation,
    catalogue,
    concurrency,
    fields,
    host_errors,
    names,
    ownership,
    pricing,
    settings,
    spec,
    staging,
    wire,
)
from .client import VertexClient
from .errors import ConfigurationError, NotFoundError, StagingUriError, VertexTuningError
from .lifecycle import Lifecycle
from .metrics_reader import MetricPoint
from .outputs import inputs_only, job_outputs, metric_outputs, state_of
from .progress import retry_line, stderr_line

FAILED_STATES = frozenset({wire.JobState.FAILED, wire.JobState.CANCELLED, wire.JobState.EXPIRED})

_CONFIG_KEYS = (
    *settings.PROJECT_CONFIG,
    *settings.LOCATION_CONFIG,
    settings.EMULATOR_CONFIG,
    settings.IMPERSONATE_CONFIG,
    settings.API_VERSION_CONFIG,
    settings.TIMEOUT_CONFIG,
    staging.STAGING_CONFIG,
    concurrency.CONFIG_KEY,
    *settings.AUTH_CONFIG_KEYS,
    pricing.PRICE_CONFIG,
)

_clients: dict[settings.Settings, VertexClient] = {}
_clients_lock = threading.Lock()


def _client(resolved: settings.Settings) -> VertexClient:
    """One client per target (and transport) for the life of the host process, shared by all threads."""
    with _clients_lock:
        client = _clients.get(resolved)
        if client is None:
            client = _clients[resolved] = VertexClient(resolved, on_retry=retry_line)
        return client


def _lifecycle(client: VertexClient) -> Lifecycle:
    # Waits sleep on the engine's Cancel: one Ctrl-C stops them (cancellation.py).
    return Lifecycle(client, sleep=cancellation.sleep)


class TuningJobProvider(ResourceProvider):
    """Vertex AI supervised tuning jobs. Pickled by reference: its state is empty."""

    _config: dict[str, str]

    def __init__(self) -> None:
        super().__init__()
        self._config = {}

    # Stack config is read in the host and must never travel inside the pickled provider.
    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        self._config = {}

    def configure(self, req: ConfigureRequest) -> None:
        values = {key: req.config.get(key) for key in _CONFIG_KEYS}
        self._config = {key: str(value) for key, value in values.items() if value is not None}
        try:
            workers = concurrency.max_concurrent_operations(self._config.get(concurrency.CONFIG_KEY))
        except ValueError as error:
            stderr_line(f"{error}; using {concurrency.DEFAULT_MAX_CONCURRENT_OPERATIONS}")
            workers = concurrency.DEFAULT_MAX_CONCURRENT_OPERATIONS
        concurrency.widen_host_worker_pool(workers)
        host_errors.readable_errors_in_host()
        cancellation.hook_cancel_rpc()

    # --- engine calls ---------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate without network; every problem at once; unknown values pass through."""
        props = inputs_only(news)
        place = settings.resolve_place(
            project=props.get("project"),
            location=props.get("location"),
            config=self._config,
            environ=os.environ,
        )
        filled = {"project": place.project, "location": place.location}
        props.update({key: value for key, value in filled.items() if value is not None})
        config_problems = self._config_problems()
        # A bad config value that also stopped project or location resolving is reported once, under its key.
        said = {reason for _, reason in config_problems}
        config_problems += [problem for problem in place.problems if problem[1] not in said]
        # Local dataset files get their content-addressed gs:// URIs here (read, never uploaded).
        props, dataset_problems = staging.plan_local_datasets(props, self._config.get(staging.STAGING_CONFIG))
        found = config_problems + dataset_problems + spec.problems(props)
        for name, warning in spec.warnings(props):
            stderr_line(f"warning: {name}: {warning}")
        if not found:
            self._tell_before_spending(props)
        return CheckResult(
            spec.canonical_inputs(props), [CheckFailure(name, reason) for name, reason in found]
        )

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Canonical inputs only: never `__provider`, the identity inputs or how long to wait."""
        ownership.DEPLOYMENT.saw(id_, olds, news)
        if news.get("project") is None and olds.get("project") is not None:
            news = {**news, "project": self._resolve_project(olds["project"])}
        replaces, updates = spec.changed_inputs(olds, inputs_only(news))
        if state_of(olds) in FAILED_STATES:
            # Refreshed after an out-of-band cancel (or expiry): the job will never give a model.
            replaces = [*replaces, "state"]
        if replaces:
            return DiffResult(changes=True, replaces=replaces, delete_before_replace=False)
        return DiffResult(changes=bool(updates), replaces=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Submit or adopt this resource's job and wait until it SUCCEEDED (decisions 1-3)."""
        inputs = inputs_only(props)
        resolved = self._resolve(
            inputs.get("project"), inputs.get("location"), inputs.get("api_version"), allow_adc=True
        )
        job_spec = spec.parse({**inputs, "project": resolved.project, "location": resolved.location})
        client = _client(resolved)  # the datasets go up through the job's own client
        if job_spec.training_dataset or job_spec.validation_dataset:
            staging.upload_local_datasets(client, job_spec.inputs())
        lifecycle = _lifecycle(client)
        final = ownership.Claim(lifecycle, job_spec).take(job_spec.wait_timeout_minutes * 60)
        return CreateResult(str(final.name), self._outputs(final, job_spec.inputs(), lifecycle))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """GET the job (decision 6): outputs and inputs refreshed; a job that is gone leaves the state."""
        ownership.DEPLOYMENT.saw(id_)
        lifecycle = self._lifecycle_for(id_, props)
        try:
            job = lifecycle.client.get_tuning_job(names.TuningJobName.parse(id_))
        except NotFoundError:
            return ReadResult("", {})
        _note_retired_base_model(job)
        given = inputs_only(props)
        echoed = {key: value for key, value in fields.inputs_from_job(job).items() if given.get(key) is None}
        inputs = {**spec.canonical_inputs(given), **echoed}
        return ReadResult(id_, self._outputs(job, inputs, lifecycle), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only how the provider waits or talks can change in place; the job itself is untouched."""
        ownership.DEPLOYMENT.saw(id_)
        outs = {
            key: value
            for key, value in olds.items()
            if not key.startswith("__") and key not in spec.UPDATABLE_INPUTS
        }
        for name in spec.UPDATABLE_INPUTS:
            value = spec.canonical_value(name, news.get(name))
            if value is not None:
                outs[name] = value
        return UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Cancel a running job and wait until it stops; leave a finished one; a missing one is fine."""
        ownership.DEPLOYMENT.saw(id_)
        self._lifecycle_for(id_, props).cancel_and_wait(names.TuningJobName.parse(id_))

    # --- helpers --------------------------------------------------------------------------

    def _resolve(
        self, project: Any, location: Any, api_version: Any = None, *, allow_adc: bool = False
    ) -> settings.Settings:
        """The one resolution of an engine call (decision 7); Application Default Credentials are
        asked for a project only when `allow_adc` (they may reach the network)."""
        return settings.resolve_settings(
            project=project,
            location=location,
            api_version=api_version,
            config=self._config,
            environ=os.environ,
            default_project=settings.adc_project if allow_adc else lambda: None,
        )

    def _config_problems(self) -> list[spec.Problem]:
        """Stack config that would break every call, reported under its own key (decision 9)."""
        found = settings.config_problems(self._config)
        workers = self._config.get(concurrency.CONFIG_KEY)
        if workers is not None and workers.strip():
            try:
                concurrency.max_concurrent_operations(workers)
            except ValueError as error:
                found.append((concurrency.CONFIG_KEY, str(error)))
        staging_uri = self._config.get(staging.STAGING_CONFIG)
        if staging_uri is not None and staging_uri.strip():
            try:
                staging.StagingLocation.parse(staging_uri)
            except StagingUriError as error:
                found.append((staging.STAGING_CONFIG, str(error)))
        return found

    def _tell_before_spending(self, props: Mapping[str, Any]) -> None:
        """Check's info lines (shown by `pulumi preview`): an unresolved project, the cost estimate."""
        if props.get("project") is None:
            stderr_line(
                f"warning: no project is set (looked at {settings.PROJECT_LOOKED_AT}); create will use "
                "the project of Application Default Credentials, which may be another one"
            )
        found = pricing.estimate_local_dataset(props, self._config.get(pricing.PRICE_CONFIG))
        if found is not None:
            stderr_line(found)

    def _resolve_project(self, fallback: str) -> str:
        """The project a create would use when the inputs name none (may ask ADC)."""
        try:
            return self._resolve(None, None, allow_adc=True).project
        except ConfigurationError:
            return fallback

    def _lifecycle_for(self, job_name: str, props: Mapping[str, Any]) -> Lifecycle:
        """The lifecycle for an existing job: its name says the project and location."""
        name = names.TuningJobName.parse(job_name)
        api_version = props.get("api_version")
        api_version = api_version if isinstance(api_version, str) else None
        return _lifecycle(_client(self._resolve(name.project, name.location, api_version)))

    def _outputs(
        self, job: wire.TuningJob, inputs: Mapping[str, Any], lifecycle: Lifecycle
    ) -> dict[str, Any]:
        metrics = _final_metrics(lifecycle, job)
        return {**inputs, **job_outputs(job), **metrics}


# --- what the engine calls share ---------------------------------------------------------------


def _final_metrics(lifecycle: Lifecycle, job: wire.TuningJob) -> dict[str, dict[str, float]]:
    """The last value of each `/train_*` and `/eval_*` series; empty when none (or unreadable)."""
    series: dict[str, list[MetricPoint]] = {}
    if job.experiment:
        try:
            series = lifecycle.client.read_metrics(job)
        except VertexTuningError as error:
            lifecycle.log(f"could not read the metrics of {job.name} ({error}); outputs leave them empty")
    return metric_outputs(series)


def _note_retired_base_model(job: wire.TuningJob) -> None:
    """A refresh says so when the job's tuned endpoint stopped serving with its base model."""
    base = job.base_model or (job.pre_tuned_model.base_model if job.pre_tuned_model else None)
    model = catalogue.find_base_model(base) if base else None
    ended = model.serving_ended(catalogue.today()) if model is not None else None
    if ended is not None and job.job_state is wire.JobState.SUCCEEDED:
        stderr_line(f"{job.name}: {ended}")
