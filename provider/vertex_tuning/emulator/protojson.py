"""proto3 JSON as Google's REST front end reads and writes it, for the emulator's bodies.

In: one JSON object (trailing commas allowed, as Google's parser allows them), read against the
discovery schema of the request's version (`schema`): every declared field in camelCase or
snake_case, unknown names refused with Google's wording ("Invalid JSON payload received. Unknown
name ..."), wrong types named by their snake_case path, every problem listed at once.
Out: enums by name, or by number when the caller asked for `$alt=json;enum-encoding=int`.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic.alias_generators import to_snake

from ..wire import STRICT, AdapterSize, FinishReason, JobState, WireModel
from . import schema
from .metrics import VALUE_TYPES
from .rpc import bad_request, invalid

M = TypeVar("M", bound=WireModel)
_TRAILING_COMMA = re.compile(r",\s*[}\]]")

# Enums spelled as integers when the caller asks for `$alt=json;enum-encoding=int`.
_ENUM_NUMBERS: dict[str, dict[str, int]] = {
    "state": {name: number for number, name in JobState.numbers().items()},
    "adapterSize": {name: number for number, name in AdapterSize.numbers().items()},
    "finishReason": {name: number for number, name in FinishReason.numbers().items()},
    "valueType": {name: number for number, name in enumerate(VALUE_TYPES)},
}


def load_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(_without_trailing_commas(body.decode("utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8"
        raise invalid(f"Invalid JSON payload received. {reason}.") from None
    except RecursionError:
        raise invalid("Invalid JSON payload received. Nested too deeply.") from None
    if not isinstance(value, dict):
        raise invalid("Invalid JSON payload received. Expected an object at the top level.")
    return value


def read_body(body: bytes, version: str, message: str, root: str) -> dict[str, Any]:
    """The body in canonical proto3 JSON, or a 400 listing every problem against the schema."""
    value, violations = schema.read(load_object(body), version, message, root)
    if violations:
        raise bad_request([(v.field, v.description) for v in violations])
    return value


def parse_message(model: type[M], body: bytes, version: str, message: str, root: str) -> M:
    """A wire model of a body read against `message` of the discovery schema."""
    return to_model(model, read_body(body, version, message, root), root)


def to_model(model: type[M], value: dict[str, Any], root: str) -> M:
    try:
        return model.model_validate(value, context=STRICT)  # a request: no tolerance
    except ValidationError as error:
        violations = []
        for problem in error.errors():
            where = ".".join([root] * bool(root) + [to_snake(str(part)) for part in problem["loc"]])
            violations.append((where, f"Invalid value at '{where}': {problem['msg']}."))
        raise bad_request(violations) from None


def parse_empty(body: bytes) -> None:
    for name in load_object(body):
        if name != "name":
            raise invalid(f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.')


def _without_trailing_commas(text: str) -> str:
    """Drop a comma that closes an object or array (`[1, 2,]`), leaving strings untouched."""
    if not _TRAILING_COMMA.search(text):
        return text
    out: list[str] = []
    pending: int | None = None  # index in `out` of a comma that may turn out to be trailing
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string, pending = True, None
        elif char == ",":
            pending = len(out)
        elif char in "}]" and pending is not None:
            out[pending] = ""
            pending = None
        elif not char.isspace():
            pending = None
        out.append(char)
    return "".join(out)


def enums_to_numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _ENUM_NUMBERS[key].get(item, item) if key in _ENUM_NUMBERS and isinstance(item, str)
            else enums_to_numbers(item)
            for key, item in value.items()
        }  # fmt: skip
    if isinstance(value, list):
        return [enums_to_numbers(item) for item in value]
    return value
