"""Tuned models and their endpoints: `models.get` / `models.patch`, `endpoints.get`, and which
job (and checkpoint) an endpoint serves.

A SUCCEEDED job's tuned model version is deployed to the job's endpoint (its last checkpoint);
every other exported checkpoint has an endpoint of its own. Model resources are answered as the
Model Registry shows them: `name` without the version, `versionId`, `versionAliases`,
`checkpoints`, `defaultCheckpointId` and `deployedModels`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..names import EndpointName, ModelName
from . import schema
from .jobs import JobService
from .model_registry import ALIAS, DEFAULT_ALIAS, parse_model_id, version_key
from .outcome import TrainingOutcome
from .resources import project_number, rfc3339
from .rpc import bad_request, not_found
from .store import JobRow
from .validation import check_labels

# What models.patch may change (the update mask's paths, in either spelling).
PATCHABLE = (
    "displayName",
    "description",
    "labels",
    "defaultCheckpointId",
    "versionAliases",
    "versionDescription",
)


@dataclass(frozen=True)
class Serving:
    """What an endpoint answers from: the job, what it was trained on, and the checkpoint deployed."""

    row: JobRow
    exchanges: list[list[str]]
    checkpoint_id: str


class TunedModels:
    def __init__(self, jobs: JobService) -> None:
        self.jobs = jobs
        self.store = jobs.store
        self.registry = jobs.registry

    # --- models --------------------------------------------------------------------------------

    def version(self, project: str, location: str, model: str) -> JobRow:
        ref = parse_model_id(model)
        row = (
            self.registry.resolve(project_number(project), location, ref) if ref.model_id.isdigit() else None
        )
        if row is None:
            raise not_found(f"Model {ModelName.render(project_number(project), location, model)} not found.")
        return row

    def get(self, project: str, location: str, model: str, version: str) -> dict[str, Any]:
        return versioned(self.model(self.version(project, location, model)), version)

    def patch(
        self, project: str, location: str, model: str, body: dict[str, Any], mask: str | None, version: str
    ) -> dict[str, Any]:
        changes = read_patch(body)
        return versioned(self.patch_model(self.version(project, location, model), changes, mask), version)

    def model(self, row: JobRow) -> dict[str, Any]:
        outcome = self.jobs.outcome(row)
        phase = self.jobs.phase(row)
        patch = self.registry.patch(row)
        checkpoints = [
            {"checkpointId": cp, "epoch": str(epoch), "step": str(step)}
            for cp, epoch, step in outcome.checkpoints()
        ]
        created = rfc3339(phase.end or row.created)
        versions = self.registry.versions(row.project, row.location, row.model_id)
        body: dict[str, Any] = {
            "name": str(ModelName(row.project, row.location, row.model_id)),
            "displayName": self.registry.display_name(row),
            "description": patch.get("description", row.request.get("description")),
            "versionId": str(row.model_version),
            "versionAliases": self.registry.aliases(row, versions),
            "versionDescription": patch.get("versionDescription"),
            "createTime": rfc3339(self.jobs.phase(versions[0]).end or versions[0].created),
            "updateTime": created,
            "versionCreateTime": created,
            "versionUpdateTime": created,
            "labels": patch.get("labels", row.request.get("labels")),
            "etag": hashlib.sha256(repr((row.id, sorted(patch.items()))).encode()).hexdigest()[:16],
            "checkpoints": checkpoints,
            "defaultCheckpointId": self.default_checkpoint(row, outcome),
            "deployedModels": self._deployed(row, outcome),
            "baseModelSource": {
                "genieSource": {"baseModelUri": f"publishers/google/models/{row.base_model}"}
            },
            "modelSourceInfo": {"sourceType": "GENIE"},
        }
        if "encryptionSpec" in row.request:
            body["encryptionSpec"] = row.request["encryptionSpec"]
        return {key: value for key, value in body.items() if value not in (None, [], {})}

    def patch_model(self, row: JobRow, changes: dict[str, Any], mask: str | None) -> dict[str, Any]:
        """Apply a models.patch body; without an update mask, every field it sets."""
        paths = [schema_path.strip() for schema_path in mask.split(",")] if mask else list(changes)
        violations = []
        wanted: dict[str, Any] = {}
        for path in paths:
            name = _camel(path)
            if name not in PATCHABLE:
                violations.append(
                    ("update_mask", f"update_mask path {path!r} cannot be updated on a tuned model.")
                )
                continue
            wanted[name] = changes.get(name)
        known = [cp for cp, _, _ in self.jobs.outcome(row).checkpoints()]
        checkpoint = wanted.get("defaultCheckpointId")
        if checkpoint is not None and checkpoint not in known:
            violations.append(
                (
                    "model.default_checkpoint_id",
                    f"Checkpoint {checkpoint!r} does not exist; the model has {known}.",
                )
            )
        for alias in wanted.get("versionAliases") or []:
            if alias == DEFAULT_ALIAS or not ALIAS.fullmatch(alias):
                violations.append(
                    (
                        "model.version_aliases",
                        f"Version alias {alias!r} must match [a-z][a-z0-9-]{{0,127}} and not be 'default'.",
                    )
                )
        violations += list(check_labels(wanted.get("labels") or {}, "model.labels"))
        if violations:
            raise bad_request(violations)
        patches = {version_key(row): {**self.registry.patch(row)}}
        if "versionAliases" in wanted:
            patches = self.registry.set_aliases(row, list(wanted.pop("versionAliases") or []))
        own = patches[version_key(row)]
        for name, value in wanted.items():
            if value is None:
                own.pop(name, None)
            else:
                own[name] = value
        self.jobs.outcomes.settle()
        self.store.set_patches(patches)
        return self.model(self.store.job(row.id) or row)

    def default_checkpoint(self, row: JobRow, outcome: TrainingOutcome) -> str | None:
        known = outcome.checkpoints()
        patched = self.registry.patch(row).get("defaultCheckpointId")
        return str(patched) if patched else (known[-1][0] if known else None)

    def _deployed(self, row: JobRow, outcome: TrainingOutcome) -> list[dict[str, str]]:
        endpoints = self.jobs.outcomes.checkpoint_endpoints(row)
        deployed = [
            {
                "endpoint": str(EndpointName(row.project, row.location, endpoint)),
                "deployedModelId": _deployed_id(endpoint),
                "checkpointId": cp,
            }
            for cp, endpoint in sorted(endpoints.items())
        ]
        main = {
            "endpoint": str(EndpointName(row.project, row.location, row.endpoint_id)),
            "deployedModelId": _deployed_id(row.endpoint_id),
            "checkpointId": _deployed_checkpoint(outcome),
        }
        return [main, *deployed]

    # --- endpoints -----------------------------------------------------------------------------

    def serving(self, project: str, location: str, endpoint_id: str) -> Serving:
        """The SUCCEEDED job (and checkpoint) behind a tuned endpoint; other endpoints do not exist."""
        row, checkpoint = None, None
        if endpoint_id.isdigit():
            row = self.store.job_by_endpoint(endpoint_id)
            if row is None and (found := self.jobs.outcomes.checkpoint_endpoint(endpoint_id)) is not None:
                row, checkpoint = self.store.job(found[0]), found[1]
        if (
            row is None
            or row.project != project_number(project)
            or row.location != location
            or not self.registry.succeeded(row)
        ):
            name = EndpointName.render(project_number(project), location, endpoint_id)
            raise not_found(f"Endpoint {name} not found.")
        outcome = self.jobs.outcome(row)
        return Serving(row, self.jobs.outcomes.exchanges(row), checkpoint or _deployed_checkpoint(outcome))

    def endpoint(self, project: str, location: str, endpoint_id: str) -> dict[str, Any]:
        serving = self.serving(project, location, endpoint_id)
        row = serving.row
        name = str(EndpointName(row.project, row.location, endpoint_id))
        when = rfc3339(self.jobs.phase(row).end or row.created)
        deployed_id = _deployed_id(endpoint_id)
        body: dict[str, Any] = {
            "name": name,
            "displayName": f"{self.registry.display_name(row)}-checkpoint-{serving.checkpoint_id}"
            if endpoint_id != row.endpoint_id
            else self.registry.display_name(row),
            "deployedModels": [
                {
                    "id": deployed_id,
                    "model": str(ModelName(row.project, row.location, row.model_id, str(row.model_version))),
                    "modelVersionId": str(row.model_version),
                    "displayName": self.registry.display_name(row),
                    "createTime": when,
                    "checkpointId": serving.checkpoint_id,
                }
            ],
            "trafficSplit": {deployed_id: 100},
            "labels": row.request.get("labels"),
            "etag": hashlib.sha256(name.encode()).hexdigest()[:16],
            "createTime": when,
            "updateTime": when,
        }
        return {key: value for key, value in body.items() if value is not None}


def read_patch(call_body: dict[str, Any]) -> dict[str, Any]:
    """The fields of a models.patch body the emulator keeps (already read against the schema)."""
    return {name: call_body[name] for name in PATCHABLE if name in call_body}


def versioned(body: dict[str, Any], version: str) -> dict[str, Any]:
    return schema.for_version(body, version, "Model")


def _deployed_checkpoint(outcome: TrainingOutcome) -> str:
    """The job's own endpoint serves the last checkpoint, deployed when the job ended; changing the
    model's default checkpoint later changes what the model's name means, not what is deployed."""
    return outcome.checkpoints()[-1][0]


def _camel(path: str) -> str:
    head, *rest = path.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _deployed_id(endpoint_id: str) -> str:
    return str(int(hashlib.sha256(f"deployed/{endpoint_id}".encode()).hexdigest(), 16) % 10**18 + 10**18)
