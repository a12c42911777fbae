"""The TuningJob input model: validation, defaults, canonical form and identity. No I/O.

Every input is checked by one small rule in `_FIELD_RULES` (the schema is data), then by the rules
that need several inputs at once (adapter size for the chosen model, KMS key region, ...), so
`problems()` reports every mistake in one go. The canonical form (model id without its publisher
prefix, adapter size as a rank, integral floats as ints, ...) is what diff compares and what the
identity hash covers, so `"FOUR"` vs `4`, `3` vs `3.0` or re-ordered labels are never a change.

Values that Pulumi does not know yet (preview) are passed through untouched and not judged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from . import catalogue, names, wire
from .errors import InvalidNameError, VertexTuningError

# The Pulumi wire sentinel for an unknown value; the host usually turns it into `Unknown()` first.
_UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# `pulumi.output.Unknown`, recognised by name so that this module loads without the Pulumi SDK
# (a third of a second of imports the CLI and the emulator do not need).
_UNKNOWN_CLASS = ("pulumi.output", "Unknown")

ID_LABEL = "pulumi-tuning-id"
"""The label that carries a job's identity hash, so a create can find its own job (decision 2)."""
ID_LABEL_HEX_CHARS = 40
DEFAULT_WAIT_TIMEOUT_MINUTES = 24 * 60
API_VERSIONS = ("v1", "v1beta1")
MAX_USER_LABELS = 63  # Vertex allows 64 labels; the identity label takes one.

JOB_INPUTS = (
    "project",
    "location",
    "base_model",
    "pre_tuned_model_name",
    "pre_tuned_checkpoint_id",
    "training_dataset_uri",
    "validation_dataset_uri",
    "epoch_count",
    "adapter_size",
    "learning_rate_multiplier",
    "tuned_model_display_name",
    "description",
    "labels",
    "kms_key_name",
    "service_account",
    "export_last_checkpoint_only",
)
"""Inputs that define the tuning job itself: a change is a new job."""
REPLACING_INPUTS = (*JOB_INPUTS, "triggers")
UPDATABLE_INPUTS = ("wait_timeout_minutes", "api_version")
"""How the provider waits and talks, not what it tunes: changed in place, never a retune."""
IDENTITY_INPUTS = ("pulumi_organization", "pulumi_stack", "pulumi_project", "resource_name")
"""Added by the resource class: part of the identity hash, never compared by diff."""
REQUIRED_IDENTITY_INPUTS = ("pulumi_stack", "pulumi_project", "resource_name")
"""`pulumi_organization` came in a later release: a state or program without it hashes as before."""
LOCAL_DATASET_INPUTS = ("training_dataset", "validation_dataset", "staging_uri")
"""GitOps datasets (`staging.py`): where the files are and where they are uploaded. Never compared:
check turns each file into a URI named by its content, and that URI is what diff and the hash see."""
ALL_INPUTS = (*REPLACING_INPUTS, *UPDATABLE_INPUTS, *IDENTITY_INPUTS, *LOCAL_DATASET_INPUTS)

Problem = tuple[str, str]
"""(input name, reason a user can act on)."""


class InvalidSpecError(VertexTuningError):
    """The inputs do not describe a valid tuning job; carries every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems))


class TuningJobSpec(BaseModel):
    """A validated, canonical set of inputs: what `parse` returns and the rest of the provider uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    project: str | None = None
    location: str = names.DEFAULT_LOCATION
    base_model: str | None = None
    pre_tuned_model_name: str | None = None
    pre_tuned_checkpoint_id: str | None = None
    training_dataset_uri: str
    validation_dataset_uri: str | None = None
    training_dataset: str | None = None
    validation_dataset: str | None = None
    staging_uri: str | None = None
    epoch_count: int | None = None
    adapter_size: int | None = None
    learning_rate_multiplier: float | None = None
    tuned_model_display_name: str | None = None
    description: str | None = None
    labels: dict[str, str] = {}
    kms_key_name: str | None = None
    service_account: str | None = None
    export_last_checkpoint_only: bool | None = None
    triggers: Any = None
    wait_timeout_minutes: float = DEFAULT_WAIT_TIMEOUT_MINUTES
    api_version: str | None = None
    """None: the stack config `vertex-tuning:apiVersion`, else v1."""
    pulumi_organization: str | None = None
    pulumi_stack: str
    pulumi_project: str
    resource_name: str

    def inputs(self) -> dict[str, Any]:
        """The canonical inputs as Pulumi properties (unset ones left out)."""
        return {key: value for key, value in self.model_dump().items() if value is not None}

    def job_fields(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in JOB_INPUTS}


# --- unknown values ---------------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    """True when the value, or anything inside it, is not known yet (a preview)."""
    if (type(value).__module__, type(value).__qualname__) == _UNKNOWN_CLASS or value == _UNKNOWN_SENTINEL:
        return True
    if isinstance(value, Mapping):
        return any(is_unknown(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_unknown(item) for item in value)
    return False


# --- single-input rules: each takes a known, non-None value and returns its canonical form ------

_BUCKET = r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]"
_GCS_URI = re.compile(rf"gs://{_BUCKET}/[^\s]+")
_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
_LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_KMS_KEY = re.compile(
    r"projects/(?P<project>[a-z0-9-]{1,63})/locations/(?P<location>[a-z0-9-]{1,63})"
    r"/keyRings/[A-Za-z0-9_-]{1,63}/cryptoKeys/[A-Za-z0-9_-]{1,63}"
)
_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9][a-z0-9.-]{0,252}\.[a-z]{2,}")
_CHECKPOINT_ID = re.compile(r"[0-9]{1,19}")


def _text(value: Any, *, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {type(value).__name__}")
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"must be at most {max_length} characters, got {len(value)}")
    return value


def _non_empty_text(value: Any, *, max_length: int | None = None) -> str:
    text = _text(value, max_length=max_length)
    if not text.strip():
        raise ValueError("must not be empty")
    return text


def _integer(value: Any) -> int:
    """An int; the host sends every number as a float, so an integral float is an int."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a whole number, got {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"must be a whole number, got {value}")
        return int(value)
    return value


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a positive number, got {value}")
    return float(value)


def _name_rule(validate: Callable[[object], str]) -> Callable[[Any], str]:
    def rule(value: Any) -> str:
        try:
            return validate(value)
        except InvalidNameError as error:
            raise ValueError(str(error)) from None

    return rule


def _base_model(value: Any) -> str:
    model = catalogue.find_base_model(_non_empty_text(value))
    if model is None:
        raise ValueError(f"unknown base model {value!r}; use one of {catalogue.known_model_ids()}")
    return model.id


def _pre_tuned_model_name(value: Any) -> str:
    try:
        return str(names.ModelName.parse(value))
    except InvalidNameError as error:
        raise ValueError(f"{error} (the tuned_model_name output of another TuningJob)") from None


def _checkpoint_id(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(_integer(value))
    if not isinstance(value, str) or not _CHECKPOINT_ID.fullmatch(value):
        raise ValueError(f"must be a numeric checkpoint id such as '2', got {value!r}")
    return value


def _dataset_uri(value: Any) -> str:
    uri = _text(value)
    if not uri.isascii() or not uri.isprintable() or not _GCS_URI.fullmatch(uri):
        raise ValueError(f"must be a Cloud Storage URI such as 'gs://my-bucket/train.jsonl', got {uri!r}")
    return uri


def _epoch_count(value: Any) -> int:
    count = _integer(value)
    if count < 1:
        raise ValueError(f"must be at least 1, got {count}")
    return count


def _adapter_size(value: Any) -> int:
    """The adapter rank from 4, 4.0, "4", "FOUR" or "ADAPTER_SIZE_FOUR"."""
    ranks = ", ".join(str(rank) for rank in catalogue.ADAPTER_RANKS)
    error = ValueError(f"must be one of {ranks} or its name such as 'ADAPTER_SIZE_FOUR', got {value!r}")
    if isinstance(value, str) and not (value.strip().isascii() and value.strip().isdigit()):
        try:
            rank = wire.AdapterSize(
                "ADAPTER_SIZE_" + value.strip().upper().removeprefix("ADAPTER_SIZE_")
            ).rank
        except ValueError:
            raise error from None
    else:
        try:
            rank = _integer(int(value) if isinstance(value, str) else value)
        except ValueError:
            raise error from None
    if rank not in catalogue.ADAPTER_RANKS:
        raise error
    return rank


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a map of strings, got {type(value).__name__}")
    bad: list[str] = []
    for key, item in value.items():
        if not isinstance(key, str) or not _LABEL_KEY.fullmatch(key):
            bad.append(
                f"key {key!r} must start with a lowercase letter and hold at most 63 lowercase "
                "letters, digits, '_' or '-'"
            )
        elif key == ID_LABEL:
            bad.append(f"key {ID_LABEL!r} is reserved for the provider's own job identity")
        if not isinstance(item, str) or not _LABEL_VALUE.fullmatch(item):
            bad.append(
                f"value {item!r} of {key!r} must hold at most 63 lowercase letters, digits, '_' or '-'"
            )
    if len(value) > MAX_USER_LABELS:
        bad.append(f"at most {MAX_USER_LABELS} labels are allowed, got {len(value)}")
    if bad:
        raise ValueError("; ".join(bad))
    return dict(sorted(value.items()))


def _kms_key_name(value: Any) -> str:
    key = _text(value)
    if not _KMS_KEY.fullmatch(key):
        raise ValueError(
            "must be a Cloud KMS key such as "
            f"'projects/my-project/locations/us-central1/keyRings/ring/cryptoKeys/key', got {key!r}"
        )
    return key


def _service_account(value: Any) -> str:
    email = _text(value)
    if not _EMAIL.fullmatch(email):
        raise ValueError(
            "must be a service account email such as 'tuner@my-project.iam.gserviceaccount.com', "
            f"got {email!r}"
        )
    return email


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def _api_version(value: Any) -> str:
    if value not in API_VERSIONS:
        raise ValueError(f"must be one of {', '.join(API_VERSIONS)}, got {value!r}")
    return str(value)


def canonical_json_value(value: Any) -> Any:
    """Any JSON value with integral floats as ints and maps sorted, so `3` and `3.0` agree.

    NaN and the infinities are refused: NaN differs from itself, so a diff would see a change on
    every run and retune, and JSON has no spelling for either."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must not hold NaN or an infinity (got {value}); use a string such as 'nan'")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): canonical_json_value(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [canonical_json_value(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(
        f"must be a JSON value (string, number, boolean, list or map), got {type(value).__name__}"
    )


def _wait_timeout_minutes(value: Any) -> float:
    minutes = _positive_number(value)
    return int(minutes) if minutes.is_integer() else minutes


_FIELD_RULES: dict[str, Callable[[Any], Any]] = {
    "project": _name_rule(names.validate_project),
    "location": _name_rule(names.validate_location),
    "base_model": _base_model,
    "pre_tuned_model_name": _pre_tuned_model_name,
    "pre_tuned_checkpoint_id": _checkpoint_id,
    "training_dataset_uri": _dataset_uri,
    "validation_dataset_uri": _dataset_uri,
    "epoch_count": _epoch_count,
    "adapter_size": _adapter_size,
    "learning_rate_multiplier": _positive_number,
    "tuned_model_display_name": lambda value: _non_empty_text(
        value, max_length=catalogue.MAX_DISPLAY_NAME_LENGTH
    ),
    "description": _text,
    "labels": _labels,
    "kms_key_name": _kms_key_name,
    "service_account": _service_account,
    "export_last_checkpoint_only": _boolean,
    "triggers": canonical_json_value,
    "wait_timeout_minutes": _wait_timeout_minutes,
    "api_version": _api_version,
    "pulumi_organization": _non_empty_text,
    "pulumi_stack": _non_empty_text,
    "pulumi_project": _non_empty_text,
    "resource_name": _non_empty_text,
    "training_dataset": _non_empty_text,
    "validation_dataset": _non_empty_text,
    "staging_uri": _non_empty_text,
}
_DEFAULTS: dict[str, Any] = {
    "location": names.DEFAULT_LOCATION,
    "labels": {},
    "wait_timeout_minutes": DEFAULT_WAIT_TIMEOUT_MINUTES,
}
_REQUIRED = REQUIRED_IDENTITY_INPUTS


# --- rules across inputs --------------------------------------------------------------------


def _cross_problems(values: Mapping[str, Any], present: set[str], today: dt.date) -> list[Problem]:
    """Rules that need several inputs; each runs only when the inputs it needs are known and valid.

    `present` holds every input that was given, known or not, so an unknown input still counts
    as given for the "exactly one of" and "required" rules.
    """
    found: list[Problem] = []
    for name in _REQUIRED:
        if name not in present:
            hint = (
                "set by vertex_tuning.TuningJob; create the resource through that class"
                if (name in IDENTITY_INPUTS)
                else "it is required"
            )
            found.append((name, f"missing: {hint}"))
    if "training_dataset_uri" not in present and "training_dataset" not in present:
        found.append(
            (
                "training_dataset_uri",
                "missing: set training_dataset_uri (such as 'gs://my-bucket/train.jsonl') "
                "or training_dataset (a local JSONL file)",
            )
        )
    has_base, has_pre_tuned = "base_model" in present, "pre_tuned_model_name" in present
    if has_base == has_pre_tuned:
        found.append(
            (
                "base_model",
                f"set exactly one of base_model (a model to tune, such as '{catalogue.DEFAULT_MODEL}') and "
                "pre_tuned_model_name (a tuned model to tune further)",
            )
        )
    if "pre_tuned_checkpoint_id" in present and not has_pre_tuned:
        found.append(("pre_tuned_checkpoint_id", "only applies with pre_tuned_model_name"))

    location = values.get("location")
    model = catalogue.find_base_model(values["base_model"]) if "base_model" in values else None
    if model is not None:
        found += _model_problems(model, values, location, today)
    if location is not None and "pre_tuned_model_name" in values:
        model_location = names.ModelName.parse(values["pre_tuned_model_name"]).location
        if model_location != location:
            found.append(
                (
                    "pre_tuned_model_name",
                    f"is in {model_location} but the job runs in {location}; tune in the model's location",
                )
            )
    if location is not None and "kms_key_name" in values:
        match = _KMS_KEY.fullmatch(values["kms_key_name"])
        if match is not None and match["location"] != location:
            found.append(
                (
                    "kms_key_name",
                    f"is in {match['location']} but the job runs in {location}; use a key in the same region",
                )
            )
    return found


def _model_problems(
    model: catalogue.BaseModel, values: Mapping[str, Any], location: str | None, today: dt.date
) -> list[Problem]:
    refusal = model.refusal(today)
    if refusal is not None:
        return [("base_model", refusal)]  # the other limits of a model that cannot be tuned do not matter
    found: list[Problem] = []
    if "adapter_size" in values and not model.allows_adapter(values["adapter_size"]):
        found.append(
            (
                "adapter_size",
                f"{values['adapter_size']} is not available for {model.id}; "
                f"use one of {model.adapter_sizes_text()}",
            )
        )
    if "epoch_count" in values and values["epoch_count"] > model.max_epochs:
        found.append(("epoch_count", f"must be at most {model.max_epochs} for {model.id}"))
    if location is not None and location not in model.regions:
        regions = ", ".join(sorted(model.regions))
        found.append(("location", f"{model.id} cannot be tuned in {location}; use one of {regions}"))
    if "kms_key_name" in values and not model.cmek:
        found.append(
            ("kms_key_name", f"{model.id} does not support customer-managed encryption keys; remove it")
        )
    return found


# --- the public functions -------------------------------------------------------------------


class _Normalized:
    """The outcome of applying every rule to a property bag."""

    def __init__(self, props: Mapping[str, Any], today: dt.date | None = None) -> None:
        self.today = today or catalogue.today()
        self.values: dict[str, Any] = {}  # canonical values of the known, valid inputs
        self.present: set[str] = set()  # inputs given at all, known or not
        self.unknown: set[str] = set()  # inputs not known yet (preview)
        self.problems: list[Problem] = []
        for name, value in props.items():
            if not name.startswith("__") and value is not None:  # `__provider` is the host's own
                self._apply(name, value)
        for name, default in _DEFAULTS.items():
            if name not in self.present:
                self.values[name] = default
                self.present.add(name)
        self.problems += _cross_problems(self.values, self.present, self.today)

    def _apply(self, name: str, value: Any) -> None:
        rule = _FIELD_RULES.get(name)
        if rule is None:
            self.problems.append(
                (name, f"is not an input of TuningJob; the inputs are {', '.join(ALL_INPUTS)}")
            )
            return
        self.present.add(name)
        if is_unknown(value):
            self.unknown.add(name)
            return
        try:
            self.values[name] = rule(value)
        except ValueError as error:
            self.problems.append((name, str(error)))


def problems(props: Mapping[str, Any], *, today: dt.date | None = None) -> list[Problem]:
    """Every problem with the inputs at once; unknown values are not judged. Never raises.

    A base model retired by `today` (the catalogue's clock by default) is a problem."""
    return _Normalized(props, today).problems


def warnings(props: Mapping[str, Any], *, today: dt.date | None = None) -> list[Problem]:
    """What deserves a warning but not a failure: a base model that retires within 90 days."""
    model_id = props.get("base_model")
    if not isinstance(model_id, str) or is_unknown(model_id):
        return []
    model = catalogue.find_base_model(model_id)
    warning = model.warning(today or catalogue.today()) if model is not None else None
    return [("base_model", warning)] if warning else []


def canonical_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs in canonical form, for check: unknown or invalid values are passed through as given."""
    passed = {name: value for name, value in props.items() if not name.startswith("__") and value is not None}
    return {**passed, **_Normalized(props).values}


def canonical_value(name: str, value: Any) -> Any:
    """One input in canonical form (its default when unset); an invalid value is returned as given."""
    if value is None:
        return _DEFAULTS.get(name)
    if is_unknown(value):
        return value
    try:
        return _FIELD_RULES[name](value)
    except (KeyError, ValueError):
        return value


def parse(props: Mapping[str, Any], *, today: dt.date | None = None) -> TuningJobSpec:
    """The validated spec, or InvalidSpecError naming every problem. Unknown values are problems here."""
    normalized = _Normalized(props, today)
    found = normalized.problems + [(name, "is not known yet") for name in sorted(normalized.unknown)]
    if "training_dataset_uri" not in normalized.values and not found:
        # A local file gets its URI in check; a job cannot be made before that happened.
        found.append(
            ("training_dataset", "has no staged URI; run `pulumi preview` or `pulumi up` to plan it")
        )
    if found:
        raise InvalidSpecError(found)
    return TuningJobSpec(**normalized.values)


def changed_inputs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(inputs whose change needs a new job, inputs that can change in place), compared canonically.

    An unknown new value may turn out different, so it counts as a change.
    """

    def differs(name: str) -> bool:
        new = canonical_value(name, news.get(name))
        return is_unknown(new) or canonical_value(name, olds.get(name)) != new

    return [name for name in REPLACING_INPUTS if differs(name)], [
        name for name in UPDATABLE_INPUTS if differs(name)
    ]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def identity_hash(spec: TuningJobSpec, *, replaces: str | None = None) -> str:
    """The hash that names a job as this resource's own: organization, stack, project, resource,
    job, triggers, and the job this one replaces (so an earlier generation never matches).

    Without an organization and a replaced job it is the first release's hash, byte for byte: a
    job that release started is still found by the label it computed (`ownership`)."""
    if spec.project is None:
        raise ValueError("the project must be resolved before the identity hash is taken")
    identity = {
        "stack": spec.pulumi_stack,
        "pulumi_project": spec.pulumi_project,
        "resource": spec.resource_name,
        "job": spec.job_fields(),
        "triggers": canonical_json_value(spec.triggers),
    }
    if spec.pulumi_organization is not None:
        identity["organization"] = spec.pulumi_organization
    if replaces is not None:
        identity["replaces"] = replaces
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()


def identity_label(spec: TuningJobSpec, *, replaces: str | None = None) -> str:
    return identity_hash(spec, replaces=replaces)[:ID_LABEL_HEX_CHARS]


def to_wire(spec: TuningJobSpec, *, label: str | None = None) -> wire.TuningJob:
    """The create request body, carrying the identity label (by default the resource's first one)."""
    hyper_parameters = wire.SupervisedHyperParameters(
        epoch_count=spec.epoch_count,
        learning_rate_multiplier=spec.learning_rate_multiplier,
        adapter_size=wire.AdapterSize.from_rank(spec.adapter_size) if spec.adapter_size else None,
    )
    pre_tuned = (
        wire.PreTunedModel(
            tuned_model_name=spec.pre_tuned_model_name, checkpoint_id=spec.pre_tuned_checkpoint_id
        )
        if spec.pre_tuned_model_name
        else None
    )
    return wire.TuningJob(
        base_model=spec.base_model,
        pre_tuned_model=pre_tuned,
        supervised_tuning_spec=wire.SupervisedTuningSpec(
            training_dataset_uri=spec.training_dataset_uri,
            validation_dataset_uri=spec.validation_dataset_uri,
            hyper_parameters=hyper_parameters,
            export_last_checkpoint_only=spec.export_last_checkpoint_only,
        ),
        tuned_model_display_name=spec.tuned_model_display_name,
        description=spec.description,
        labels={**spec.labels, ID_LABEL: label or identity_label(spec)},
        encryption_spec=wire.EncryptionSpec(kms_key_name=spec.kms_key_name) if spec.kms_key_name else None,
        service_account=spec.service_account,
    )
