"""The TuningJob input model: validation, defaults, canonical form and identity. No I/O.

Every input is checked by its own rule from the table in `fields` (the schema is data), then by
the rules that need several inputs at once (adapter size for the chosen model, KMS key region, ...),
so `problems()` reports every mistake in one go. The canonical form (model id without its publisher
prefix, adapter size as a rank, integral floats as ints, ...) is what diff compares and what the
identity hash covers, so `"FOUR"` vs `4`, `3` vs `3.0` or re-ordered labels are never a change.

Values that Pulumi does not know yet (preview) are passed through untouched and not judged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from . import catalogue, names, rules, wire
from .errors import InvalidSpecError
from .fields import (
    ALL_INPUTS,
    DEFAULT_WAIT_TIMEOUT_MINUTES,
    IDENTITY_INPUTS,
    REPLACING_INPUTS,
    REQUIRED_IDENTITY_INPUTS,
    RULES,
    UPDATABLE_INPUTS,
    TuningJobSpec,
    default,
    defaults,
    job_body,
)
from .rules import ID_LABEL, canonical_json_value
from .settings import API_VERSIONS

__all__ = [
    "ALL_INPUTS",
    "API_VERSIONS",
    "DEFAULT_WAIT_TIMEOUT_MINUTES",
    "IDENTITY_INPUTS",
    "ID_LABEL",
    "ID_LABEL_HEX_CHARS",
    "REPLACING_INPUTS",
    "REQUIRED_IDENTITY_INPUTS",
    "UPDATABLE_INPUTS",
    "Problem",
    "TuningJobSpec",
    "canonical_inputs",
    "canonical_json",
    "canonical_json_value",
    "canonical_value",
    "changed_inputs",
    "identity_hash",
    "identity_label",
    "is_unknown",
    "parse",
    "problems",
    "to_wire",
    "warnings",
]

# The Pulumi wire sentinel for an unknown value; the host usually turns it into `Unknown()` first.
_UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# `pulumi.output.Unknown`, recognised by name so that this module loads without the Pulumi SDK
# (a third of a second of imports the CLI and the emulator do not need).
_UNKNOWN_CLASS = ("pulumi.output", "Unknown")

ID_LABEL_HEX_CHARS = 40

Problem = tuple[str, str]
"""(input name, reason a user can act on)."""


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


# --- rules across inputs --------------------------------------------------------------------


def _cross_problems(values: Mapping[str, Any], present: set[str], today: dt.date) -> list[Problem]:
    """Rules that need several inputs; each runs only when the inputs it needs are known and valid.

    `present` holds every input that was given, known or not, so an unknown input still counts
    as given for the "exactly one of" and "required" rules.
    """
    found: list[Problem] = []
    for name in REQUIRED_IDENTITY_INPUTS:
        if name not in present:
            found.append(
                (name, "missing: set by vertex_tuning.TuningJob; create the resource through that class")
            )
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
    key_location = rules.kms_key_location(values["kms_key_name"]) if "kms_key_name" in values else None
    if location is not None and key_location is not None and key_location != location:
        found.append(
            (
                "kms_key_name",
                f"is in {key_location} but the job runs in {location}; use a key in the same region",
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
        for name, value in defaults().items():
            if name not in self.present:
                self.values[name] = value
                self.present.add(name)
        self.problems += _cross_problems(self.values, self.present, self.today)

    def _apply(self, name: str, value: Any) -> None:
        rule = RULES.get(name)
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
        return default(name)
    if is_unknown(value):
        return value
    try:
        return RULES[name](value)
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
    body = job_body(spec)
    body["labels"] = {**spec.labels, ID_LABEL: label or identity_label(spec)}
    return wire.TuningJob.model_validate(body)
