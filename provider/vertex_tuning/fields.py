"""The TuningJob's inputs as one table: the fields of `TuningJobSpec`.

Each field carries, besides its type and its default (written once, as the pydantic default), an
`Input`: its kind (what a change means), its single-value rule (`rules`), where it goes in the
Vertex request body and whether a read takes it back from a job. Everything else derives from
here: the category tuples, check's unknown-input message and defaults, diff's categories,
`spec.to_wire`, `inputs_from_job`, and the keywords `TuningJob` must offer (a test holds them
equal). Adding a Vertex field is one line here plus its keyword in `resource.py`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict

from . import names, rules, wire
from .wire import TuningJob as WireJob

DEFAULT_WAIT_TIMEOUT_MINUTES = 24 * 60


class Kind(enum.Enum):
    """What an input is for, and so what a change of it means."""

    JOB = "job"
    """Defines the tuning job and is sent to Vertex: a change is a new job."""
    REPLACING = "replacing"
    """Local to the provider, yet a change is a new job (`triggers`)."""
    UPDATABLE = "updatable"
    """How the provider waits and talks, not what it tunes: changed in place, never a retune."""
    IDENTITY = "identity"
    """Added by the resource class: part of the identity hash, never compared by diff."""
    LOCAL_DATASET = "local dataset"
    """GitOps datasets (`staging.py`): where the files are and where they are uploaded. Never
    compared: check turns each file into a URI named by its content, which diff and the hash see."""


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Input:
    """The table entry of one input, put on its field with `Annotated`."""

    kind: Kind
    rule: Callable[[Any], Any]
    """The single-value rule: the canonical form of a known value, or ValueError."""
    wire: str | None = None
    """The camelCase path of the value in the TuningJob body; None: not in the body."""
    to_wire: Callable[[Any], Any] = _same
    from_wire: Callable[[Any], Any] = _same
    echo: bool | Callable[[WireJob], Any] = False
    """Whether a read takes the value back from the job: True reads `wire`, a function reads it
    its own way. False for what the service fills with its own defaults (hyperparameters, display
    name): echoed, they would look like changes against the program's inputs."""


def _location_of(job: WireJob) -> str:
    return names.TuningJobName.parse(job.name).location


def _base_model_of(job: WireJob) -> str | None:
    # A continued tuning names its base model too, but the input there is pre_tuned_model_name.
    return job.base_model if not job.pre_tuned_model else None


def _user_labels(labels: Mapping[str, str]) -> dict[str, str] | None:
    return {key: value for key, value in labels.items() if key != rules.ID_LABEL} or None


_JOB = Kind.JOB
# Where the inputs sit in the request body: the supervised spec and the model tuned further.
_TUNING, _PRE = "supervisedTuningSpec", "preTunedModel"
_HYPER = f"{_TUNING}.hyperParameters"
_IDENTITY = Input(Kind.IDENTITY, rules.non_empty_text)
_LOCAL = Input(Kind.LOCAL_DATASET, rules.non_empty_text)


class TuningJobSpec(BaseModel):
    """A validated, canonical set of inputs: what `spec.parse` returns and the provider uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The project and location are in the request's URL, not its body.
    project: Annotated[str | None, Input(_JOB, rules.name_rule(names.validate_project))] = None
    location: Annotated[str, Input(_JOB, rules.name_rule(names.validate_location), echo=_location_of)] = (
        names.DEFAULT_LOCATION
    )
    base_model: Annotated[str | None, Input(_JOB, rules.base_model, "baseModel", echo=_base_model_of)] = None
    pre_tuned_model_name: Annotated[
        str | None, Input(_JOB, rules.pre_tuned_model_name, f"{_PRE}.tunedModelName", echo=True)
    ] = None
    pre_tuned_checkpoint_id: Annotated[
        str | None, Input(_JOB, rules.checkpoint_id, f"{_PRE}.checkpointId", echo=True)
    ] = None
    training_dataset_uri: Annotated[
        str, Input(_JOB, rules.dataset_uri, f"{_TUNING}.trainingDatasetUri", echo=True)
    ]
    validation_dataset_uri: Annotated[
        str | None, Input(_JOB, rules.dataset_uri, f"{_TUNING}.validationDatasetUri", echo=True)
    ] = None
    epoch_count: Annotated[int | None, Input(_JOB, rules.epoch_count, f"{_HYPER}.epochCount")] = None
    adapter_size: Annotated[
        int | None,
        Input(_JOB, rules.adapter_size, f"{_HYPER}.adapterSize", to_wire=wire.AdapterSize.from_rank),
    ] = None
    learning_rate_multiplier: Annotated[
        float | None, Input(_JOB, rules.positive_number, f"{_HYPER}.learningRateMultiplier")
    ] = None
    tuned_model_display_name: Annotated[
        str | None, Input(_JOB, rules.display_name, "tunedModelDisplayName")
    ] = None
    description: Annotated[str | None, Input(_JOB, rules.text, "description", echo=True)] = None
    labels: Annotated[
        dict[str, str], Input(_JOB, rules.labels, "labels", from_wire=_user_labels, echo=True)
    ] = {}
    kms_key_name: Annotated[
        str | None, Input(_JOB, rules.kms_key_name, "encryptionSpec.kmsKeyName", echo=True)
    ] = None
    service_account: Annotated[
        str | None, Input(_JOB, rules.service_account, "serviceAccount", echo=True)
    ] = None
    export_last_checkpoint_only: Annotated[
        bool | None, Input(_JOB, rules.boolean, f"{_TUNING}.exportLastCheckpointOnly")
    ] = None
    triggers: Annotated[Any, Input(Kind.REPLACING, rules.canonical_json_value)] = None
    wait_timeout_minutes: Annotated[float, Input(Kind.UPDATABLE, rules.wait_timeout_minutes)] = (
        DEFAULT_WAIT_TIMEOUT_MINUTES
    )
    api_version: Annotated[str | None, Input(Kind.UPDATABLE, rules.api_version)] = None
    """None: the stack config `vertex-tuning:apiVersion`, else v1."""
    # `pulumi_organization` came in a later release: a state or program without it hashes as before.
    pulumi_organization: Annotated[str | None, _IDENTITY] = None
    pulumi_stack: Annotated[str, _IDENTITY]
    pulumi_project: Annotated[str, _IDENTITY]
    resource_name: Annotated[str, _IDENTITY]
    training_dataset: Annotated[str | None, _LOCAL] = None
    validation_dataset: Annotated[str | None, _LOCAL] = None
    staging_uri: Annotated[str | None, _LOCAL] = None

    def inputs(self) -> dict[str, Any]:
        """The canonical inputs as Pulumi properties (unset ones left out)."""
        return {key: value for key, value in self.model_dump().items() if value is not None}

    def job_fields(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in JOB_INPUTS}


# --- derived from the table -------------------------------------------------------------------


def _entry(name: str) -> Input:
    (found,) = [item for item in TuningJobSpec.model_fields[name].metadata if isinstance(item, Input)]
    return found


INPUTS: dict[str, Input] = {name: _entry(name) for name in TuningJobSpec.model_fields}
"""Every input's table entry, in the table's order."""


def _of(*kinds: Kind) -> tuple[str, ...]:
    return tuple(name for name, entry in INPUTS.items() if entry.kind in kinds)


JOB_INPUTS = _of(Kind.JOB)
REPLACING_INPUTS = (*JOB_INPUTS, *_of(Kind.REPLACING))
UPDATABLE_INPUTS = _of(Kind.UPDATABLE)
IDENTITY_INPUTS = _of(Kind.IDENTITY)
REQUIRED_IDENTITY_INPUTS = tuple(
    name for name in IDENTITY_INPUTS if TuningJobSpec.model_fields[name].is_required()
)
LOCAL_DATASET_INPUTS = _of(Kind.LOCAL_DATASET)
ALL_INPUTS = (*REPLACING_INPUTS, *UPDATABLE_INPUTS, *IDENTITY_INPUTS, *LOCAL_DATASET_INPUTS)
USER_INPUTS = tuple(name for name in ALL_INPUTS if name not in IDENTITY_INPUTS)
"""What a program sets: the keywords of `TuningJob`."""
RULES: dict[str, Callable[[Any], Any]] = {name: entry.rule for name, entry in INPUTS.items()}


def defaults() -> dict[str, Any]:
    """The inputs whose unset value is not None, with that value (a fresh copy each time)."""
    found = {}
    for name, field in TuningJobSpec.model_fields.items():
        if not field.is_required() and field.default is not None:
            found[name] = field.get_default(call_default_factory=True)
    return found


def default(name: str) -> Any:
    field = TuningJobSpec.model_fields.get(name)
    return None if field is None or field.is_required() else field.get_default(call_default_factory=True)


def job_body(job_spec: TuningJobSpec) -> dict[str, Any]:
    """The TuningJob request body the inputs make (camelCase, unset values left out)."""
    body: dict[str, Any] = {}
    for name, entry in INPUTS.items():
        value = getattr(job_spec, name)
        if entry.wire is None or value is None:
            continue
        *parents, leaf = entry.wire.split(".")
        node = body
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = entry.to_wire(value)
    return body


def inputs_from_job(job: WireJob) -> dict[str, Any]:
    """The inputs a job echoes exactly, for a `get` that passes few inputs (`Input.echo`)."""
    body = job.to_json_dict()
    found: dict[str, Any] = {}
    for name, entry in INPUTS.items():
        if callable(entry.echo):
            value = entry.echo(job)
        elif entry.echo and entry.wire is not None:
            value = _at(body, entry.wire)
            value = entry.from_wire(value) if value is not None else None
        else:
            continue
        if value is not None:
            found[name] = value
    return found


def _at(body: Mapping[str, Any], path: str) -> Any:
    node: Any = body
    for key in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node
