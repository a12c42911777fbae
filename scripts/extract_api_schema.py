"""Regenerate `provider/vertex_tuning/emulator/api_schema.json` from Google's discovery documents.

The emulator reads request bodies against the aiplatform discovery documents that
google-api-python-client ships (v1 and v1beta1). It keeps only what reading needs: for each
message reachable from a request the emulator serves, its fields' JSON types, formats, enum
names, item and map value types, references, and whether a field is output only; and for each
served method its query parameters. Run after upgrading google-api-python-client:

    .venv/bin/python scripts/extract_api_schema.py
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import googleapiclient

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
TARGET = (
    Path(__file__).resolve().parent.parent / "provider" / "vertex_tuning" / "emulator" / "api_schema.json"
)
PREFIXES = {"v1": "GoogleCloudAiplatformV1", "v1beta1": "GoogleCloudAiplatformV1beta1"}
# Bodies the emulator reads (discovery names without the version prefix).
REQUEST_MESSAGES = ("TuningJob", "GenerateContentRequest", "CountTokensRequest", "Model", "Context")
# Methods the emulator serves under projects.locations, by their discovery id's tail.
METHODS = (
    "tuningJobs.create", "tuningJobs.get", "tuningJobs.list", "tuningJobs.cancel",
    "endpoints.generateContent", "endpoints.streamGenerateContent", "endpoints.countTokens",
    "endpoints.get", "models.get", "models.patch", "metadataStores.contexts.get",
    "metadataStores.contexts.list", "metadataStores.contexts.patch", "tensorboards.get",
    "tensorboards.batchRead", "tensorboards.experiments.get", "tensorboards.experiments.runs.get",
    "tensorboards.experiments.runs.list", "tensorboards.experiments.runs.timeSeries.get",
    "tensorboards.experiments.runs.timeSeries.list", "tensorboards.experiments.runs.timeSeries.read",
)  # fmt: skip
_KEPT = ("type", "format", "enum", "$ref")


def slim(spec: dict[str, Any]) -> dict[str, Any]:
    kept = {key: spec[key] for key in _KEPT if key in spec}
    for key in ("items", "additionalProperties"):
        if key in spec:
            kept[key] = slim(spec[key])
    if "properties" in spec:
        kept["properties"] = {name: slim(field) for name, field in spec["properties"].items()}
    if spec.get("readOnly") or spec.get("description", "").startswith("Output only"):
        kept["readOnly"] = True
    return kept


def references(spec: dict[str, Any]) -> Iterator[str]:
    if "$ref" in spec:
        yield spec["$ref"]
    for key in ("items", "additionalProperties"):
        if key in spec:
            yield from references(spec[key])
    for field in spec.get("properties", {}).values():
        yield from references(field)


def methods(resource: dict[str, Any], path: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, child in resource.get("resources", {}).items():
        for method, spec in child.get("methods", {}).items():
            yield ".".join([*path, name, method]), spec
        yield from methods(child, [*path, name])


def extract(version: str) -> dict[str, Any]:
    document = json.loads((DOCUMENTS / f"aiplatform.{version}.json").read_text())
    schemas: dict[str, Any] = {}
    todo = [PREFIXES[version] + name for name in REQUEST_MESSAGES]
    while todo:
        name = todo.pop()
        if name not in schemas:
            schemas[name] = slim(document["schemas"][name])
            todo.extend(references(schemas[name]))
    served: dict[str, Any] = {}
    for method_id, spec in methods(document, []):
        tail = method_id.removeprefix("projects.locations.")
        if tail in METHODS and tail != method_id:
            query = sorted(n for n, p in spec.get("parameters", {}).items() if p.get("location") == "query")
            served[tail] = {"query": query, "request": spec.get("request", {}).get("$ref")}
    missing = set(METHODS) - set(served)
    if missing:
        raise SystemExit(f"aiplatform {version} lacks methods {sorted(missing)}")
    return {"revision": document["revision"], "methods": served, "schemas": schemas}


def main() -> None:
    versions = {version: extract(version) for version in PREFIXES}
    # One schema per line: small diffs when Google changes a message.
    lines = ["{"]
    for v_index, (version, data) in enumerate(versions.items()):
        lines.append(f'"{version}": {{"revision": "{data["revision"]}",')
        lines.append(f'"methods": {json.dumps(data["methods"], sort_keys=True)},')
        lines.append('"schemas": {')
        names = sorted(data["schemas"])
        for index, name in enumerate(names):
            comma = "," if index < len(names) - 1 else ""
            lines.append(f'"{name}": {json.dumps(data["schemas"][name], sort_keys=True)}{comma}')
        lines.append("}}" + ("," if v_index < len(versions) - 1 else ""))
    lines.append("}")
    TARGET.write_text("\n".join(lines) + "\n")
    json.loads(TARGET.read_text())  # written as valid JSON
    print(
        f"wrote {TARGET.name}: " + ", ".join(f"{v} {len(d['schemas'])} messages" for v, d in versions.items())
    )


if __name__ == "__main__":
    main()
