"""The TuningJob's outputs as one table: each output's name and how it is read from a job.

`OUTPUTS` (what the resource declares) and `job_outputs` (what create and read return) derive
from `_FROM_JOB`. The two metric outputs come from the job's experiment, which takes a call the
provider makes; `metric_outputs` turns that answer into them. Pure translations, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel

from . import names, wire
from .metrics_reader import MetricPoint


@dataclass(frozen=True)
class _Job:
    """The parts of a job the outputs read, absent messages as empty ones."""

    job: wire.TuningJob
    body: dict[str, Any]
    tuned: wire.TunedModel
    hyper: wire.SupervisedHyperParameters
    stats: wire.SupervisedTuningDataStats | None

    @classmethod
    def of(cls, job: wire.TuningJob) -> _Job:
        tuning = job.supervised_tuning_spec or wire.SupervisedTuningSpec()
        return cls(
            job=job,
            body=job.to_json_dict(),
            tuned=job.tuned_model or wire.TunedModel(),
            hyper=tuning.hyper_parameters or wire.SupervisedHyperParameters(),
            stats=job.tuning_data_stats.supervised_tuning_data_stats if job.tuning_data_stats else None,
        )


_FROM_METRICS = None
"""Marks an output that `metric_outputs` gives, not the job itself."""

_FROM_JOB: dict[str, Callable[[_Job], Any] | None] = {
    "job_name": lambda it: it.job.name,
    "state": lambda it: it.job.job_state.value,
    # v1beta1 only: what a waiting job is doing ("waiting for quota"), and how far it got.
    "tuning_job_state": lambda it: it.job.detailed_state.value if it.job.detailed_state else None,
    "tuning_job_metadata": lambda it: plain(it.job.tuning_job_metadata) if it.job.tuning_job_metadata else {},
    "tuned_model_name": lambda it: it.tuned.model,
    "tuned_model_endpoint_name": lambda it: it.tuned.endpoint,
    "checkpoints": lambda it: [plain(checkpoint) for checkpoint in it.tuned.checkpoints or []],
    "experiment": lambda it: it.job.experiment,
    "hyper_parameters": lambda it: {
        "epoch_count": it.hyper.epoch_count,
        "adapter_size": wire.AdapterSize(it.hyper.adapter_size).rank if it.hyper.adapter_size else None,
        "learning_rate_multiplier": it.hyper.learning_rate_multiplier,
    },
    # Example contents stay out of the state: they are the user's data, not a result.
    "tuning_data_stats": lambda it: plain(it.stats, exclude={"user_dataset_examples"}) if it.stats else {},
    "training_metrics": _FROM_METRICS,
    "validation_metrics": _FROM_METRICS,
    "create_time": lambda it: it.body.get("createTime"),
    "start_time": lambda it: it.body.get("startTime"),
    "end_time": lambda it: it.body.get("endTime"),
    "console_url": lambda it: names.console_url(str(it.job.name)) if it.job.name else None,
    # What the service counts as billable (dataset tokens x epochs), as pricing.py prices it.
    "estimated_training_tokens": lambda it: it.stats.total_billable_token_count if it.stats else None,
}

OUTPUTS = tuple(_FROM_JOB)
"""Computed by create and read; the resource class declares each one so it is an attribute."""


def job_outputs(job: wire.TuningJob) -> dict[str, Any]:
    """The TuningJob's outputs from the service's view of the job (all but the metrics)."""
    view = _Job.of(job)
    return {name: read(view) for name, read in _FROM_JOB.items() if read is not _FROM_METRICS}


def metric_outputs(series: Mapping[str, list[MetricPoint]]) -> dict[str, dict[str, float]]:
    """The last value of each `/train_*` and `/eval_*` series; empty when there are none."""
    last = {name.lstrip("/"): points[-1].value for name, points in series.items() if points}
    return {
        "training_metrics": {name: value for name, value in last.items() if name.startswith("train_")},
        "validation_metrics": {name: value for name, value in last.items() if name.startswith("eval_")},
    }


def inputs_only(props: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs of a property bag that may also hold outputs (old outputs, or declared outputs)."""
    return {key: value for key, value in props.items() if key not in OUTPUTS}


def state_of(props: Mapping[str, Any]) -> wire.JobState | None:
    """The `state` output of a property bag, None when it holds none."""
    try:
        return wire.JobState(props.get("state"))
    except ValueError:
        return None


def plain(model: BaseModel, exclude: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """A wire message as snake_case Python values, int64 as ints (its JSON form has strings)."""

    def value(item: Any) -> Any:
        if isinstance(item, BaseModel):
            return plain(item)
        if isinstance(item, list):
            return [value(element) for element in item]
        return item.value if isinstance(item, Enum) else item

    fields = type(model).model_fields
    return {
        name: value(getattr(model, name))
        for name in fields
        if name not in exclude and getattr(model, name) is not None
    }
