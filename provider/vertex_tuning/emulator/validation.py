"""What the service checks before it accepts a create: every problem at once, each naming its field.

Problems come back as one 400 INVALID_ARGUMENT whose message lists them and whose details carry
a `google.rpc.BadRequest` field violation each. The location `global` is refused first, with
FAILED_PRECONDITION, as the service refuses it for Gemini tuning.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from .. import catalogue
from ..wire import AdapterSize, TuningJob
from .model_registry import ModelRef, parse_model_id
from .rpc import ApiError, bad_request, invalid
from .storage import DataDir, StorageError

_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_MAX_LABELS = 64
_KMS_KEY = re.compile(
    r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/keyRings/[^/]+/cryptoKeys/[^/]+"
)
_SERVICE_ACCOUNT = re.compile(r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}")
TUNED_MODEL = re.compile(
    r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/models/(?P<model>\d+(@[a-z0-9-]+)?)"
)
_ROOT = "tuning_job"
Problems = Iterator[tuple[str, str]]


def check_create(job: TuningJob, location: str, data: DataDir, today: dt.date) -> ModelRef | None:
    """Raise with every problem found; return the continuous-tuning source if any.

    `today` decides which models tune: the catalogue's lifecycle on that date."""
    if location == "global":
        raise ApiError(
            "FAILED_PRECONDITION",
            "Tuning of Gemini models is not supported in location global; use a region such as us-central1.",
        )
    problems = list(_check_source(job))
    if job.base_model is not None:
        try:
            _check_base_model(job.base_model, location, today)
        except ApiError as error:
            problems.append((f"{_ROOT}.base_model", error.message))
    problems += [*_check_spec(job, data, location), *_check_names(job), *_check_encryption(job, location)]
    if problems:
        raise bad_request(problems)
    pre = job.pre_tuned_model
    if pre is None or not pre.tuned_model_name:
        return None
    found = TUNED_MODEL.fullmatch(pre.tuned_model_name)
    assert found is not None
    return parse_model_id(found["model"])


def _check_source(job: TuningJob) -> Problems:
    pre = job.pre_tuned_model
    if pre is None or not pre.tuned_model_name:
        if not job.base_model:
            yield (
                f"{_ROOT}.base_model",
                "base_model is required (or pre_tuned_model.tuned_model_name for continuous tuning).",
            )
        return
    if TUNED_MODEL.fullmatch(pre.tuned_model_name) is None:
        yield (
            f"{_ROOT}.pre_tuned_model.tuned_model_name",
            "pre_tuned_model.tuned_model_name must look like "
            f"projects/PROJECT/locations/LOCATION/models/ID[@VERSION], got {pre.tuned_model_name!r}.",
        )


def _check_base_model(base_model: str, location: str, today: dt.date) -> catalogue.BaseModel:
    model = catalogue.find_base_model(base_model)
    if model is None:
        raise invalid(
            f"base_model {base_model!r} is not supported for supervised tuning. "
            f"Supported: {catalogue.known_model_ids(today)}."
        )
    refusal = model.refusal(today)
    if refusal is not None:
        raise invalid(f"base_model {refusal}.")
    if location not in model.regions:
        raise invalid(
            f"base_model {model.id} cannot be tuned in {location}; use one of {sorted(model.regions)}."
        )
    return model


def check_hyper_parameters(job: TuningJob, model: catalogue.BaseModel) -> None:
    problems = list(_hyper_parameter_problems(job, model))
    if problems:
        raise bad_request(problems)


def _hyper_parameter_problems(job: TuningJob, model: catalogue.BaseModel) -> Problems:
    spec = job.supervised_tuning_spec
    params = spec.hyper_parameters if spec else None
    if params is None:
        return
    where = f"{_ROOT}.supervised_tuning_spec.hyper_parameters"
    if params.epoch_count is not None and not 0 < params.epoch_count <= model.max_epochs:
        yield (
            f"{where}.epoch_count",
            f"supervised_tuning_spec.hyper_parameters.epoch_count must be between 1 and {model.max_epochs}, "
            f"got {params.epoch_count}.",
        )
    if params.learning_rate_multiplier is not None and not params.learning_rate_multiplier > 0:
        yield (
            f"{where}.learning_rate_multiplier",
            "supervised_tuning_spec.hyper_parameters.learning_rate_multiplier must be positive, "
            f"got {params.learning_rate_multiplier}.",
        )
    size = AdapterSize(params.adapter_size) if params.adapter_size is not None else AdapterSize.UNSPECIFIED
    if size is not AdapterSize.UNSPECIFIED and not model.allows_adapter(size.rank):
        yield (
            f"{where}.adapter_size",
            "supervised_tuning_spec.hyper_parameters.adapter_size: The adapter size is not supported for "
            f"this base model. {model.id} takes adapter sizes {model.adapter_sizes_text()}, not {size.rank}.",
        )


def _check_spec(job: TuningJob, data: DataDir, location: str) -> Problems:
    spec = job.supervised_tuning_spec
    where = f"{_ROOT}.supervised_tuning_spec"
    if spec is None:
        yield where, "supervised_tuning_spec is required."
        return
    if not spec.training_dataset_uri:
        yield f"{where}.training_dataset_uri", "supervised_tuning_spec.training_dataset_uri is required."
    for field, uri in (
        ("training_dataset_uri", spec.training_dataset_uri),
        ("validation_dataset_uri", spec.validation_dataset_uri),
    ):
        if not uri:
            continue
        try:
            data.resolve(uri, location=location)
        except StorageError as error:
            yield f"{where}.{field}", f"supervised_tuning_spec.{field}: {error}."


def _check_names(job: TuningJob) -> Problems:
    name = job.tuned_model_display_name
    if name is not None and len(name) > catalogue.MAX_DISPLAY_NAME_LENGTH:
        yield (
            f"{_ROOT}.tuned_model_display_name",
            f"tuned_model_display_name must be at most {catalogue.MAX_DISPLAY_NAME_LENGTH} characters, "
            f"got {len(name)}.",
        )
    yield from check_labels(job.labels or {}, f"{_ROOT}.labels")
    account = job.service_account
    if account is not None and not _SERVICE_ACCOUNT.fullmatch(account):
        yield (
            f"{_ROOT}.service_account",
            f"service_account must be a service account email, got {account!r}.",
        )


def check_labels(labels: dict[str, str], where: str) -> Problems:
    if len(labels) > _MAX_LABELS:
        yield where, f"labels: at most {_MAX_LABELS} labels are allowed, got {len(labels)}."
    for key, value in labels.items():
        if not _LABEL_KEY.fullmatch(key):
            yield (
                where,
                f"labels: key {key!r} must start with a lowercase letter and hold at most 63 lowercase "
                "letters, digits, '_' or '-'.",
            )
        if not _LABEL_VALUE.fullmatch(value):
            yield (
                where,
                f"labels: value {value!r} of {key!r} may hold at most 63 lowercase letters, digits, "
                "'_' or '-'.",
            )


def _check_encryption(job: TuningJob, location: str) -> Problems:
    if job.encryption_spec is None:
        return
    where = f"{_ROOT}.encryption_spec.kms_key_name"
    key = job.encryption_spec.kms_key_name
    match = _KMS_KEY.fullmatch(key)
    if match is None:
        yield (
            where,
            "encryption_spec.kms_key_name must look like "
            f"projects/P/locations/L/keyRings/R/cryptoKeys/K, got {key!r}.",
        )
        return
    if match["location"] != location:
        yield (
            where,
            f"encryption_spec.kms_key_name is in {match['location']}; the key must be in the job's region "
            f"{location}.",
        )
    model = catalogue.find_base_model(job.base_model or "")
    if model is not None and not model.cmek:
        yield where, f"encryption_spec: {model.id} does not support customer-managed encryption keys."
