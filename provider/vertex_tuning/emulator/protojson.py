"""proto3 JSON as Google's REST front end reads and writes it, for the emulator's bodies.

In: one JSON object, camelCase or snake_case, unknown fields refused with Google's wording
("Invalid JSON payload received. Unknown name ..."), wrong types named by their snake_case path.
Out: enums by name, or by number when the caller asked for `$alt=json;enum-encoding=int`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_snake

from ..wire import STRICT, AdapterSize, FinishReason, JobState, WireModel
from .metrics import VALUE_TYPES
from .rpc import invalid

M = TypeVar("M", bound=WireModel)

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
        value = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        reason = error.msg if isinstance(error, json.JSONDecodeError) else "not UTF-8"
        raise invalid(f"Invalid JSON payload received. {reason}.") from None
    except RecursionError:
        raise invalid("Invalid JSON payload received. Nested too deeply.") from None
    if not isinstance(value, dict):
        raise invalid("Invalid JSON payload received. Expected an object at the top level.")
    return value


def parse_message(model: type[M], body: bytes, root: str) -> M:
    data = load_object(body)
    try:
        message = model.model_validate(data, context=STRICT)  # a request: no tolerance
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join([root] * bool(root) + [to_snake(str(part)) for part in first["loc"]])
        raise invalid(f"Invalid value at '{where}': {first['msg']}.") from None
    for where, name in unknown_fields(message, root):
        raise invalid(
            f"Invalid JSON payload received. Unknown name \"{name}\" at '{where}': Cannot find field."
        )
    return message


def parse_empty(body: bytes) -> None:
    for name in load_object(body):
        if name != "name":
            raise invalid(f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.')


def unknown_fields(message: BaseModel, where: str) -> Iterable[tuple[str, str]]:
    for name in message.model_extra or {}:
        yield where, name
    for name in type(message).model_fields:
        yield from _unknown_in(getattr(message, name), ".".join(filter(None, [where, name])))


def _unknown_in(value: Any, where: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, BaseModel):
        yield from unknown_fields(value, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unknown_in(item, f"{where}[{index}]")


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
