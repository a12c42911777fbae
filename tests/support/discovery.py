"""The test oracle: Google's aiplatform discovery document, as shipped in google-api-python-client.

`assert_matches_schema(body, "TuningJob")` checks a JSON body against the document's schema:
no unknown fields, JSON types, enum values, int64 as decimal strings, google-datetime as RFC 3339,
nested `$ref`s, arrays and maps; nulls are refused (proto3 JSON leaves empty fields out).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import googleapiclient

_DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
_INT64 = re.compile(r"-?\d+")
_PREFIX = {"v1": "GoogleCloudAiplatformV1", "v1beta1": "GoogleCloudAiplatformV1beta1"}
_INT32 = (-(2**31), 2**31 - 1)


@functools.cache
def discovery_document(version: str = "v1") -> dict[str, Any]:
    if version not in _PREFIX:
        raise ValueError(f"version must be one of {sorted(_PREFIX)}")
    return dict(json.loads((_DOCUMENTS / f"aiplatform.{version}.json").read_text()))


def schema_name(schema: str, version: str = "v1") -> str:
    """`TuningJob` -> `GoogleCloudAiplatformV1TuningJob`; full names pass through."""
    return schema if schema.startswith("Google") else _PREFIX[version] + schema


def schema_problems(body: Any, schema: str, *, version: str = "v1") -> list[str]:
    schemas = discovery_document(version)["schemas"]
    name = schema_name(schema, version)
    if name not in schemas:
        raise KeyError(f"no schema {name} in aiplatform {version}")
    return list(_check(body, {"$ref": name}, "$", schemas))


def assert_matches_schema(body: Any, schema: str, *, version: str = "v1") -> None:
    problems = schema_problems(body, schema, version=version)
    assert not problems, f"body does not match {schema_name(schema, version)}:\n" + "\n".join(problems)


def assert_error_envelope(body: Any, status: str, code: int | None = None) -> None:
    """Google's error envelope: {"error": {"code", "message", "status"[, "details"]}}."""
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"code", "message", "status", "details"}, error
    assert isinstance(error.get("message"), str) and error["message"], error
    assert error.get("status") == status, error
    assert isinstance(error.get("code"), int), error
    if code is not None:
        assert error["code"] == code, error
    if "details" in error:
        assert_matches_schema({"code": error["code"], "details": error["details"]}, "GoogleRpcStatus")


def _check(value: Any, spec: dict[str, Any], path: str, schemas: dict[str, Any]) -> Iterator[str]:
    if "$ref" in spec:
        spec = schemas[spec["$ref"]]
    if value is None:
        yield f"{path}: null (proto3 JSON omits empty fields)"
        return
    kind = spec.get("type")
    if kind == "any":
        return
    if kind == "object":
        yield from _check_object(value, spec, path, schemas)
    elif kind == "array":
        if not isinstance(value, list):
            yield f"{path}: expected an array, got {type(value).__name__}"
            return
        for index, item in enumerate(value):
            yield from _check(item, spec["items"], f"{path}[{index}]", schemas)
    elif kind == "string":
        yield from _check_string(value, spec, path)
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            yield f"{path}: expected an integer, got {value!r}"
        elif spec.get("format") == "int32" and not _INT32[0] <= value <= _INT32[1]:
            yield f"{path}: {value} is out of int32 range"
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            yield f"{path}: expected a number, got {value!r}"
        elif isinstance(value, str) and value not in ("NaN", "Infinity", "-Infinity"):
            yield f"{path}: expected a number, got the string {value!r}"
    elif kind == "boolean":
        if not isinstance(value, bool):
            yield f"{path}: expected a boolean, got {value!r}"
    else:
        yield f"{path}: the schema has an unknown type {kind!r}"


def _check_object(value: Any, spec: dict[str, Any], path: str, schemas: dict[str, Any]) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path}: expected an object, got {type(value).__name__}"
        return
    properties: dict[str, Any] = spec.get("properties", {})
    extra = spec.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            yield from _check(item, properties[key], f"{path}.{key}", schemas)
        elif extra is not None:
            yield from _check(item, extra, f"{path}[{key!r}]", schemas)
        else:
            yield f"{path}: unknown field {key!r}"


def _check_string(value: Any, spec: dict[str, Any], path: str) -> Iterator[str]:
    if not isinstance(value, str):
        yield f"{path}: expected a string, got {value!r}"
        return
    fmt = spec.get("format")
    if "enum" in spec and value not in spec["enum"]:
        yield f"{path}: {value!r} is not one of {spec['enum']}"
    elif fmt in ("int64", "uint64") and not _INT64.fullmatch(value):
        yield f"{path}: {value!r} is not an int64 decimal string"
    elif fmt == "google-datetime":
        if not _RFC3339.fullmatch(value):
            yield f"{path}: {value!r} is not an RFC 3339 timestamp"
        else:
            try:
                datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")
            except ValueError:
                yield f"{path}: {value!r} is not a valid date and time"
    elif fmt == "byte":
        try:
            base64.b64decode(value.replace("-", "+").replace("_", "/") + "==", validate=False)
        except binascii.Error:
            yield f"{path}: {value!r} is not base64"


# --- full sample bodies, for the sweep that sends every declared field -----------------------

_SAMPLE_STRINGS = {
    "google-datetime": "2026-01-01T00:00:00Z",
    "google-duration": "1.5s",
    "int64": "1",
    "uint64": "1",
    "byte": "AA==",
    "google-fieldmask": "name",
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class FullSample:
    """A body that sets every field a message declares, recursively (a message already on the way
    down is left out, so recursive schemas end); `fields` counts (message, field) pairs sent."""

    def __init__(self, version: str, *, snake_case: bool = False) -> None:
        self.version = version
        self.snake_case = snake_case
        self.schemas = discovery_document(version)["schemas"]
        self.fields: set[tuple[str, str]] = set()

    def message(self, schema: str, path: tuple[str, ...] = ()) -> dict[str, Any] | None:
        name = schema_name(schema, self.version)
        if name in path:
            return None  # recursive: this message is already being filled further up
        body: dict[str, Any] = {}
        for field, spec in self.schemas[name].get("properties", {}).items():
            value = self.value(spec, (*path, name))
            if value is None:
                continue
            self.fields.add((name, field))
            body[_snake(field) if self.snake_case else field] = value
        return body

    def value(self, spec: dict[str, Any], path: tuple[str, ...]) -> Any:
        if "$ref" in spec:
            return self.message(spec["$ref"], path)
        kind = spec.get("type")
        if kind == "array":
            item = self.value(spec["items"], path)
            return None if item is None else [item]
        if kind == "object":
            extra = spec.get("additionalProperties")
            if not extra:
                return {}
            item = self.value(extra, path)
            return None if item is None else {"key": item}
        if kind == "string":
            if "enum" in spec:
                return spec["enum"][min(1, len(spec["enum"]) - 1)]
            return _SAMPLE_STRINGS.get(spec.get("format", ""), "x")
        if kind == "integer":
            return 1
        if kind == "number":
            return 0.5
        if kind == "boolean":
            return True
        return "x"  # "any"


def method_query_parameters(method: str, version: str = "v1") -> dict[str, Any]:
    """The query parameters a `projects.locations.` method declares, by name, with their specs."""
    resource: dict[str, Any] = discovery_document(version)["resources"]["projects"]["resources"]["locations"]
    *path, verb = method.split(".")
    for part in path:
        resource = resource["resources"][part]
    spec = resource["methods"][verb]
    return {name: p for name, p in spec.get("parameters", {}).items() if p.get("location") == "query"}
