"""Metrics routes: the Experiment context behind a job's `experiment` and the TensorBoard under it.

What `vertexai`'s experiment and TensorBoard helpers call: contexts get / list / patch,
tensorboards get and batchRead, experiments get, runs list / get, time series list / get / read.
"""

from __future__ import annotations

from ..calls import LOCATION, Answer, Call, route
from ..services import Services

_CONTEXTS = LOCATION + r"/metadataStores/default/contexts"
_TENSORBOARD = LOCATION + r"/tensorboards/(?P<tensorboard>\d+)"
_EXPERIMENT = _TENSORBOARD + r"/experiments/(?P<experiment>[a-z0-9-]+)"
_RUN = _EXPERIMENT + r"/runs/(?P<run>[a-z0-9-]+)"


def get_context(services: Services, call: Call) -> Answer:
    return services.metrics.get_context(call.project, call.location, call.params["context"])


def list_contexts(services: Services, call: Call) -> Answer:
    return services.metrics.list_contexts(call.project, call.location, call.query.get("filter", ""))


def patch_context(services: Services, call: Call) -> Answer:
    return services.metrics.patch_context(
        call.project, call.location, call.params["context"], call.read("context")
    )


def get_tensorboard(services: Services, call: Call) -> Answer:
    return services.metrics.get_tensorboard(call.project, call.location, call.params["tensorboard"])


def get_experiment(services: Services, call: Call) -> Answer:
    return services.metrics.get_experiment(*_experiment(call))


def list_runs(services: Services, call: Call) -> Answer:
    return services.metrics.list_runs(*_experiment(call))


def get_run(services: Services, call: Call) -> Answer:
    return services.metrics.get_run(*_experiment(call), call.params["run"])


def list_time_series(services: Services, call: Call) -> Answer:
    return services.metrics.list_time_series(*_experiment(call), call.params["run"])


def get_time_series(services: Services, call: Call) -> Answer:
    return services.metrics.get_time_series(*_experiment(call), call.params["run"], call.params["series"])


def read_time_series(services: Services, call: Call) -> Answer:
    return services.metrics.read_time_series(*_experiment(call), call.params["run"], call.params["series"])


def batch_read(services: Services, call: Call) -> Answer:
    tensorboard = call.params["tensorboard"]
    return services.metrics.batch_read(
        call.project, call.location, tensorboard, call.query.getlist("timeSeries")
    )


def _experiment(call: Call) -> tuple[str, str, str, str]:
    """Where an experiment's routes point: project, location, TensorBoard and experiment."""
    return call.project, call.location, call.params["tensorboard"], call.params["experiment"]


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
