"""Tuned models as the Model Registry holds them: a model id with versions, each from one job.

A version exists once its job SUCCEEDED. The newest version is the default one (alias `default`);
`models.patch` adds aliases, a display name, a description, labels and the default checkpoint,
kept in the store's patches under `models/{id}@{version}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .store import JobRow, Store

DEFAULT_ALIAS = "default"
ALIAS = re.compile(r"[a-z][a-z0-9-]{0,127}")


@dataclass(frozen=True)
class ModelRef:
    """`models/{id}`, `models/{id}@{version}` or `models/{id}@{alias}`."""

    model_id: str
    version: str | None = None


def parse_model_id(text: str) -> ModelRef:
    model_id, _, version = text.partition("@")
    return ModelRef(model_id, version or None)


class ModelRegistry:
    def __init__(self, store: Store, succeeded: Callable[[JobRow], bool]) -> None:
        self.store = store
        self.succeeded = succeeded

    def versions(self, project: str, location: str, model_id: str) -> list[JobRow]:
        """The model's versions (oldest first): its SUCCEEDED jobs in this project and location."""
        return [
            row
            for row in self.store.jobs_of_model(model_id)
            if row.project == project and row.location == location and self.succeeded(row)
        ]

    def resolve(self, project: str, location: str, ref: ModelRef) -> JobRow | None:
        versions = self.versions(project, location, ref.model_id)
        if not versions:
            return None
        wanted = ref.version or DEFAULT_ALIAS
        for row in versions:
            if str(row.model_version) == wanted or wanted in self.aliases(row, versions):
                return row
        return None

    def patch(self, row: JobRow) -> dict[str, Any]:
        return self.store.patch(version_key(row))

    def aliases(self, row: JobRow, versions: list[JobRow] | None = None) -> list[str]:
        versions = (
            versions if versions is not None else self.versions(row.project, row.location, row.model_id)
        )
        default = [DEFAULT_ALIAS] if versions and versions[-1].id == row.id else []
        return default + list(self.patch(row).get("versionAliases", []))

    def display_name(self, row: JobRow) -> str:
        patched = self.patch(row).get("displayName")
        return str(patched or row.request.get("tunedModelDisplayName") or "")

    def set_aliases(self, row: JobRow, aliases: list[str]) -> dict[str, dict[str, Any]]:
        """Patches giving `row` these aliases; an alias another version held moves here."""
        changed = {version_key(row): {**self.patch(row), "versionAliases": aliases}}
        for other in self.versions(row.project, row.location, row.model_id):
            held = self.patch(other).get("versionAliases", [])
            if other.id != row.id and set(held) & set(aliases):
                kept = [alias for alias in held if alias not in aliases]
                changed[version_key(other)] = {**self.patch(other), "versionAliases": kept}
        return changed


def version_key(row: JobRow) -> str:
    return f"models/{row.model_id}@{row.model_version}"
