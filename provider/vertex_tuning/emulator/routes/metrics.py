"""Metrics routes: the Experiment context behind a job's `experiment` and the TensorBoard under it.

What `vertexai`'s experiment and TensorBoard helpers call: contexts get / list / patch,
tensorboards get and batchRead, experiments get, runs list / get, time series list / get / read.
"""

from __future__ import annotations

import re
from typing import Any

from .. import metrics
from ..calls import LOCATION, Answer, Call, route
from ..resources import experiment_id, project_number
from ..rpc import ApiError, invalid, not_found
from ..services import Services
from ..store import JobRow

_CONTEXTS = LOCATION + r"/metadataStores/default/contexts"
_TENSORBOARD = LOCATION + r"/tensorboards/(?P<tensorboard>\d+)"
_EXPERIMENT = _TENSORBOARD + r"/experiments/(?P<experiment>[a-z0-9-]+)"
_RUN = _EXPERIMENT + r"/runs/(?P<run>[a-z0-9-]+)"
_SERIES_NAME = re.compile(
    r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/tensorboards/(?P<tensorboard>\d+)"
    r"/experiments/(?P<experiment>[a-z0-9-]+)/runs/(?P<run>[a-z0-9-]+)/timeSeries/(?P<series>[a-z0-9-]+)"
)
_CONTEXT_FILTER = re.compile(
    r'\s*(?P<field>schema_title|display_name|parent_contexts)\s*(=|:)\s*"(?P<value>[^"]*)"\s*'
)


def _context(services: Services, row: JobRow) -> dict[str, Any]:
    body = metrics.context(row, services.jobs.phase(row))
    patched = services.jobs.store.patch(f"contexts/{experiment_id(row)}")
    if patched:
        body["metadata"] = {**body["metadata"], **patched.get("metadata", {})}
        body.update({key: value for key, value in patched.items() if key in ("displayName", "description")})
    return body


def get_context(services: Services, call: Call) -> Answer:
    return _context(
        services, services.jobs.job_by_experiment(call.project, call.location, call.params["context"])
    )


def list_contexts(services: Services, call: Call) -> Answer:
    """The location's experiment contexts; filters on schema_title, display_name, parent_contexts."""
    wanted: list[tuple[str, str]] = []
    text = call.query.get("filter", "")
    for clause in filter(None, re.split(r"\s+AND\s+", text.strip())):
        found = _CONTEXT_FILTER.fullmatch(clause)
        if found is None:
            raise invalid(f'filter: unsupported expression {clause!r}; use schema_title="system.Experiment".')
        wanted.append((found["field"], found["value"]))
    contexts = []
    for row in services.jobs.store.jobs(project_number(call.project), call.location):
        try:
            body = _context(
                services, services.jobs.job_by_experiment(call.project, call.location, experiment_id(row))
            )
        except ApiError:  # a job that has not started has no context yet
            continue
        fields = {"schema_title": body["schemaTitle"], "display_name": body["displayName"]}
        # Tuning experiments are top-level: nothing has them as parent contexts.
        if all(field != "parent_contexts" and fields[field] == value for field, value in wanted):
            contexts.append(body)
    return {"contexts": contexts}


def patch_context(services: Services, call: Call) -> Answer:
    changes = call.read("context")
    row = services.jobs.job_by_experiment(call.project, call.location, call.params["context"])
    key = f"contexts/{experiment_id(row)}"
    patched = services.jobs.store.patch(key)
    metadata = {**patched.get("metadata", {}), **changes.get("metadata", {})}
    kept: dict[str, Any] = {name: changes[name] for name in ("displayName", "description") if name in changes}
    services.jobs.store.set_patches({key: {**patched, **kept, "metadata": metadata}})
    return _context(services, row)


def get_tensorboard(services: Services, call: Call) -> Answer:
    number = project_number(call.project)
    started = [
        phase.start
        for row in services.jobs.store.jobs(number, call.location)
        if (phase := services.jobs.phase(row)).start is not None
    ]
    if call.params["tensorboard"] != metrics.location_tensorboard_id(number, call.location) or not started:
        raise not_found(f"Tensorboard {call.params['tensorboard']} not found.")
    return metrics.tensorboard(number, call.location, min(started))


def _experiment_job(services: Services, call: Call, experiment: str | None = None) -> JobRow:
    row = services.jobs.job_by_experiment(
        call.project, call.location, experiment or call.params["experiment"]
    )
    metrics.check_tensorboard(row, call.params["tensorboard"])
    return row


def get_experiment(services: Services, call: Call) -> Answer:
    row = _experiment_job(services, call)
    return metrics.experiment(row, services.jobs.phase(row))


def list_runs(services: Services, call: Call) -> Answer:
    row = _experiment_job(services, call)
    return metrics.runs(row, services.jobs.phase(row))


def get_run(services: Services, call: Call) -> Answer:
    row = _experiment_job(services, call)
    metrics.check_run(row, call.params["run"])
    return metrics.run(row, services.jobs.phase(row))


def list_time_series(services: Services, call: Call) -> Answer:
    row = _experiment_job(services, call)
    metrics.check_run(row, call.params["run"])
    return metrics.time_series_list(row, services.jobs.phase(row), services.jobs.outcome(row))


def get_time_series(services: Services, call: Call) -> Answer:
    row = _experiment_job(services, call)
    metrics.check_run(row, call.params["run"])
    return metrics.time_series(
        row, services.jobs.phase(row), services.jobs.outcome(row), call.params["series"]
    )


def read_time_series(services: Services, call: Call) -> Answer:
    row = _experiment_job(services, call)
    metrics.check_run(row, call.params["run"])
    jobs = services.jobs
    return metrics.read(row, jobs.phase(row), jobs.outcome(row), call.params["series"], jobs.clock())


def batch_read(services: Services, call: Call) -> Answer:
    """Several series of one TensorBoard at once, named in full by repeated `timeSeries`."""
    names = call.query.getlist("timeSeries")
    if not names:
        raise invalid("time_series is required.", "time_series")
    data = []
    jobs = services.jobs
    for name in names:
        found = _SERIES_NAME.fullmatch(name)
        if found is None or found["tensorboard"] != call.params["tensorboard"]:
            raise invalid(f"time_series {name!r} is not a time series of this TensorBoard.", "time_series")
        row = _experiment_job(services, call, found["experiment"])
        metrics.check_run(row, found["run"])
        read = metrics.read(row, jobs.phase(row), jobs.outcome(row), found["series"], jobs.clock())
        data.append(read["timeSeriesData"])
    return {"timeSeriesData": data}


ROUTES = [
    route("GET", _CONTEXTS + r"/(?P<context>[^/:]+)", "metadataStores.contexts.get", get_context),
    route("PATCH", _CONTEXTS + r"/(?P<context>[^/:]+)", "metadataStores.contexts.patch", patch_context),
    route("GET", _CONTEXTS, "metadataStores.contexts.list", list_contexts),
    route("GET", _TENSORBOARD, "tensorboards.get", get_tensorboard),
    route("GET", _TENSORBOARD + ":batchRead", "tensorboards.batchRead", batch_read),
    route("GET", _EXPERIMENT, "tensorboards.experiments.get", get_experiment),
    route("GET", _EXPERIMENT + "/runs", "tensorboards.experiments.runs.list", list_runs),
    route("GET", _RUN, "tensorboards.experiments.runs.get", get_run),
    route("GET", _RUN + "/timeSeries", "tensorboards.experiments.runs.timeSeries.list", list_time_series),
    route("GET", _RUN + r"/timeSeries/(?P<series>[a-z0-9-]+)", "tensorboards.experiments.runs.timeSeries.get",
          get_time_series),
    route("GET", _RUN + r"/timeSeries/(?P<series>[a-z0-9-]+):read",
          "tensorboards.experiments.runs.timeSeries.read", read_time_series),
]  # fmt: skip
