"""Request bodies read as Google's front end reads them, against the API's own schema.

The schema is the aiplatform discovery documents' (v1 and v1beta1), kept in `api_schema.json`
(`scripts/extract_api_schema.py` regenerates it). Every field a version declares is accepted on
that version; a name it does not declare is "Unknown name". Like protobuf's JSON parser, reading
takes a field's camelCase or snake_case name, a single value where a list is declared, enum names
in any letter case or their numbers, int64 and floats as strings, and null as "not set". Every
problem is collected, so one 400 can list them all as field violations.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic.alias_generators import to_camel, to_snake

from ..wire import AdapterSize, FinishReason, JobState

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
_DURATION = re.compile(r"-?\d+(\.\d{1,9})?s")
_INTEGER = re.compile(r"\s*-?\d+\s*")
_INT_TYPES = {"int32": "TYPE_INT32", "uint32": "TYPE_UINT32", "int64": "TYPE_INT64", "uint64": "TYPE_UINT64"}
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1)}
_PACKAGES = {"v1": "google.cloud.aiplatform.v1", "v1beta1": "google.cloud.aiplatform.v1beta1"}


# Enums whose proto numbers are not the discovery document's order (it lists AdapterSize by size);
# others are numbered in the order listed, which is their declaration order.
_NUMBERINGS = {
    frozenset(enum.numbers().values()): enum.numbers() for enum in (AdapterSize, JobState, FinishReason)
}


@dataclass(frozen=True)
class Violation:
    """One problem in a request: where (snake_case path) and what, in Google's words."""

    field: str
    description: str


@functools.cache
def _document() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("api_schema.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def versions() -> tuple[str, ...]:
    return tuple(_document())


def method_query(version: str, method: str) -> frozenset[str]:
    """The query parameters a served method declares (system parameters aside)."""
    return frozenset(_document()[version]["methods"][method]["query"])


def request_schema(version: str, method: str) -> str | None:
    request: str | None = _document()[version]["methods"][method]["request"]
    return request


def message(version: str, name: str) -> dict[str, Any]:
    schemas: dict[str, Any] = _document()[version]["schemas"]
    return dict(schemas[name])


def type_name(version: str, schema: str) -> str:
    """`GoogleCloudAiplatformV1TuningJob` -> `type.googleapis.com/google.cloud.aiplatform.v1.TuningJob`."""
    prefix = "GoogleCloudAiplatform" + version[0].upper() + version[1:]
    short = schema.removeprefix(prefix)
    package = _PACKAGES[version] if short != schema else "google.protobuf"
    return f"type.googleapis.com/{package}.{short}"


def read(value: Any, version: str, schema: str, root: str) -> tuple[dict[str, Any], list[Violation]]:
    """`value` in canonical form (camelCase names, lists, enum names) and every problem found."""
    reader = _Reader(version)
    result = reader.message(value, schema, root)
    return (result if isinstance(result, dict) else {}), reader.violations


def declared(value: Any, version: str, schema: str) -> Any:
    """`value` with only the fields `schema` declares on `version` (what that version's readers see)."""
    spec = message(version, schema)
    if not isinstance(value, dict):
        return value
    fields: dict[str, Any] = spec.get("properties", {})
    kept: dict[str, Any] = {}
    for name, item in value.items():
        if name in fields:
            kept[name] = _declared_value(item, fields[name], version)
        elif "additionalProperties" in spec:
            kept[name] = _declared_value(item, spec["additionalProperties"], version)
    return kept


def _declared_value(value: Any, spec: dict[str, Any], version: str) -> Any:
    if "$ref" in spec:
        return declared(value, version, spec["$ref"])
    if spec.get("type") == "array" and isinstance(value, list):
        return [_declared_value(item, spec["items"], version) for item in value]
    if spec.get("type") == "object" and "additionalProperties" in spec and isinstance(value, dict):
        return {
            key: _declared_value(item, spec["additionalProperties"], version) for key, item in value.items()
        }
    return value


class _Reader:
    def __init__(self, version: str) -> None:
        self.version = version
        self.violations: list[Violation] = []

    def problem(self, where: str, description: str) -> None:
        self.violations.append(Violation(where, description))

    def wrong(self, where: str, kind: str, value: Any) -> None:
        shown = json.dumps(value)[:80]
        self.problem(where, f"Invalid value at '{where}' ({kind}), {shown}")

    def message(self, value: Any, schema: str, where: str) -> Any:
        spec = message(self.version, schema)
        if not isinstance(value, dict):
            self.wrong(where, type_name(self.version, schema), value)
            return None
        fields: dict[str, Any] = spec.get("properties", {})
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = key if key in fields else to_camel(key) if to_camel(key) in fields else None
            if name is None or (name != key and to_snake(name) != key):
                at = f" at '{where}'" if where else ""
                self.problem(
                    where, f'Invalid JSON payload received. Unknown name "{key}"{at}: Cannot find field.'
                )
                continue
            if name in out:
                self.problem(where, f'Invalid JSON payload received. Field "{key}" is set twice.')
                continue
            read = self.value(item, fields[name], _join(where, to_snake(name)))
            if read is not None:
                out[name] = read
        return out

    def value(self, value: Any, spec: dict[str, Any], where: str) -> Any:
        if value is None:
            return None  # proto3 JSON: null is the default, as if the field were absent
        if "$ref" in spec:
            return self.message(value, spec["$ref"], where)
        kind = spec.get("type")
        if kind == "array":
            items = value if isinstance(value, list) else [value]  # one value where a list is declared
            read = [self.value(item, spec["items"], f"{where}[{index}]") for index, item in enumerate(items)]
            return [item for item in read if item is not None]
        if kind == "object":
            return self.map(value, spec, where)
        if kind == "string":
            return self.string(value, spec, where)
        if kind == "integer":
            return self.integer(value, spec.get("format", "int32"), where)
        if kind == "number":
            return self.number(value, spec.get("format", "double"), where)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if value in ("true", "false"):
                return value == "true"
            self.wrong(where, "TYPE_BOOL", value)
            return None
        return value  # "any": google.protobuf.Value takes every JSON value

    def map(self, value: Any, spec: dict[str, Any], where: str) -> Any:
        if not isinstance(value, dict):
            self.wrong(where, "TYPE_MESSAGE", value)
            return None
        extra = spec.get("additionalProperties")
        if extra is None:
            return value
        out = {key: self.value(item, extra, f"{where}[{key!r}]") for key, item in value.items()}
        return {key: item for key, item in out.items() if item is not None}

    def string(self, value: Any, spec: dict[str, Any], where: str) -> Any:
        fmt = spec.get("format")
        if "enum" in spec:
            return self.enum(value, spec["enum"], where)
        if fmt in _INT_TYPES:  # int64 is a string in proto3 JSON, in and out
            number = self.integer(value, fmt, where)
            return None if number is None else str(number)
        if not isinstance(value, str):
            self.wrong(where, "TYPE_STRING", value)
            return None
        if fmt == "google-datetime" and not _RFC3339.fullmatch(value):
            self.wrong(where, "type.googleapis.com/google.protobuf.Timestamp", value)
        elif fmt == "google-duration" and not _DURATION.fullmatch(value):
            self.wrong(where, "type.googleapis.com/google.protobuf.Duration", value)
        elif fmt == "byte" and not _is_base64(value):
            self.wrong(where, "TYPE_BYTES", value)
        return value

    def enum(self, value: Any, names: list[str], where: str) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            numbers = _NUMBERINGS.get(frozenset(names), dict(enumerate(names)))
            if value in numbers:
                return numbers[value]
        if isinstance(value, str):
            for name in names:
                if value == name or value.upper() == name:
                    return name
        self.wrong(where, "TYPE_ENUM", value)
        return None

    def integer(self, value: Any, fmt: str, where: str) -> Any:
        integral = isinstance(value, float) and value.is_integer()
        numeral = isinstance(value, str) and _INTEGER.fullmatch(value) is not None
        plain = isinstance(value, int) and not isinstance(value, bool)
        number = int(value) if plain or integral or numeral else None
        low, high = _INT_RANGES.get(fmt, (-(2**63), 2**64 - 1))
        if number is None or not low <= number <= high:
            self.wrong(where, _INT_TYPES.get(fmt, "TYPE_INT64"), value)
            return None
        return number

    def number(self, value: Any, fmt: str, where: str) -> Any:
        kind = "TYPE_FLOAT" if fmt == "float" else "TYPE_DOUBLE"
        if isinstance(value, bool):
            self.wrong(where, kind, value)
            return None
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, str):
            if value in ("NaN", "Infinity", "-Infinity"):
                return float(value.replace("Infinity", "inf"))
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                if math.isfinite(number):
                    return number
        self.wrong(where, kind, value)
        return None


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def full_name(version: str, short: str) -> str:
    """`TuningJob` on v1beta1 -> `GoogleCloudAiplatformV1beta1TuningJob`."""
    return "GoogleCloudAiplatform" + version[0].upper() + version[1:] + short


def for_version(body: dict[str, Any], version: str, short: str) -> dict[str, Any]:
    """An answer with only what `short` declares on `version` (v1 readers never see v1beta1 fields)."""
    return dict(declared(body, version, full_name(version, short)))
