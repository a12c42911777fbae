"""What the service checks before it accepts a create: 400 INVALID_ARGUMENT naming the field."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .. import catalogue
from ..wire import AdapterSize, TuningJob
from .rpc import invalid
from .storage import DataDir, StorageError

_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_MAX_LABELS = 64
_KMS_KEY = re.compile(
    r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/keyRings/[^/]+/cryptoKeys/[^/]+"
)
_SERVICE_ACCOUNT = re.compile(r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}")
TUNED_MODEL = re.compile(
    r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/models/(?P<model>\d+)(@(?P<version>\d+))?"
)


@dataclass(frozen=True)
class TunedModelRef:
    model_id: str
    version: int | None


def check_create(job: TuningJob, location: str, data: DataDir, today: dt.date) -> TunedModelRef | None:
    """Raise on the first problem, as the service does; return the continuous-tuning source if any.

    `today` decides which models tune: the catalogue's lifecycle on that date."""
    source = _check_source(job)
    if job.base_model is not None:
        _check_base_model(job.base_model, location, today)
    _check_spec(job, data)
    _check_names(job)
    _check_encryption(job, location)
    return source


def _check_source(job: TuningJob) -> TunedModelRef | None:
    pre = job.pre_tuned_model
    if pre is None or not pre.tuned_model_name:
        if not job.base_model:
            raise invalid(
                "base_model is required (or pre_tuned_model.tuned_model_name for continuous tuning)."
            )
        return None
    match = TUNED_MODEL.fullmatch(pre.tuned_model_name)
    if match is None:
        raise invalid(
            "pre_tuned_model.tuned_model_name must look like "
            f"projects/PROJECT/locations/LOCATION/models/ID[@VERSION], got {pre.tuned_model_name!r}."
        )
    version = match["version"]
    return TunedModelRef(match["model"], int(version) if version else None)


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
    spec = job.supervised_tuning_spec
    params = spec.hyper_parameters if spec else None
    if params is None:
        return
    if params.epoch_count is not None and not 0 < params.epoch_count <= model.max_epochs:
        raise invalid(
            f"supervised_tuning_spec.hyper_parameters.epoch_count must be between 1 and {model.max_epochs}, "
            f"got {params.epoch_count}."
        )
    if params.learning_rate_multiplier is not None and not params.learning_rate_multiplier > 0:
        raise invalid(
            "supervised_tuning_spec.hyper_parameters.learning_rate_multiplier must be positive, "
            f"got {params.learning_rate_multiplier}."
        )
    size = AdapterSize(params.adapter_size) if params.adapter_size is not None else AdapterSize.UNSPECIFIED
    if size is not AdapterSize.UNSPECIFIED and not model.allows_adapter(size.rank):
        raise invalid(
            "supervised_tuning_spec.hyper_parameters.adapter_size: The adapter size is not supported for "
            f"this base model. {model.id} takes adapter sizes {model.adapter_sizes_text()}, not {size.rank}."
        )


def _check_spec(job: TuningJob, data: DataDir) -> None:
    spec = job.supervised_tuning_spec
    if spec is None:
        raise invalid("supervised_tuning_spec is required.")
    if not spec.training_dataset_uri:
        raise invalid("supervised_tuning_spec.training_dataset_uri is required.")
    for field, uri in (
        ("training_dataset_uri", spec.training_dataset_uri),
        ("validation_dataset_uri", spec.validation_dataset_uri),
    ):
        if uri is None:
            continue
        try:
            data.resolve(uri)
        except StorageError as error:
            raise invalid(f"supervised_tuning_spec.{field}: {error}.") from None


def _check_names(job: TuningJob) -> None:
    name = job.tuned_model_display_name
    if name is not None and len(name) > catalogue.MAX_DISPLAY_NAME_LENGTH:
        raise invalid(
            f"tuned_model_display_name must be at most {catalogue.MAX_DISPLAY_NAME_LENGTH} characters, "
            f"got {len(name)}."
        )
    labels = job.labels or {}
    if len(labels) > _MAX_LABELS:
        raise invalid(f"labels: at most {_MAX_LABELS} labels are allowed, got {len(labels)}.")
    for key, value in labels.items():
        if not _LABEL_KEY.fullmatch(key):
            raise invalid(
                f"labels: key {key!r} must start with a lowercase letter and hold at most 63 lowercase "
                "letters, digits, '_' or '-'."
            )
        if not _LABEL_VALUE.fullmatch(value):
            raise invalid(
                f"labels: value {value!r} of {key!r} may hold at most 63 lowercase letters, digits, "
                "'_' or '-'."
            )
    account = job.service_account
    if account is not None and not _SERVICE_ACCOUNT.fullmatch(account):
        raise invalid(f"service_account must be a service account email, got {account!r}.")


def _check_encryption(job: TuningJob, location: str) -> None:
    if job.encryption_spec is None:
        return
    key = job.encryption_spec.kms_key_name
    match = _KMS_KEY.fullmatch(key)
    if match is None:
        raise invalid(
            "encryption_spec.kms_key_name must look like "
            f"projects/P/locations/L/keyRings/R/cryptoKeys/K, got {key!r}."
        )
    if match["location"] != location:
        raise invalid(
            f"encryption_spec.kms_key_name is in {match['location']}; the key must be in the job's region "
            f"{location}."
        )
    model = catalogue.find_base_model(job.base_model or "")
    if model is not None and not model.cmek:
        raise invalid(f"encryption_spec: {model.id} does not support customer-managed encryption keys.")
