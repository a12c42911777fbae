"""proto3 JSON for the wire models: the base model, int64, timestamps, enums that keep unknown values.

The rules, followed by every message in this package: lowerCamelCase out and snake_case also
accepted in, int64 as strings out and numbers or strings in, enums as names out and names or integers
in (`$alt=json;enum-encoding=int`), RFC 3339 timestamps, empty fields omitted. Unknown fields are
kept (`extra="allow"`) so that nothing a newer service returns is dropped on the way through; the
emulator rejects them itself, as the service does.

Forward compatible (design decision 12): an enum value this code does not know becomes an
"unknown member" of its enum that keeps the service's text (`JobState("JOB_STATE_FUTURE")` is
not raised, it is carried: `.value` is the text, `.is_known` is False), and optional extras of an
answer (stats, metadata, usage, timestamps) that cannot be read are left out rather than fatal.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.alias_generators import to_camel


def _int64_in(value: Any) -> Any:
    """proto3 JSON accepts int64 as a number or a decimal string; a float must be integral."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"expected an integer, got {value}")
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError(f"expected an integer, got {value!r}") from None
    return value


Int64 = Annotated[int, BeforeValidator(_int64_in), PlainSerializer(str, return_type=str)]
"""An int64 field: a string on output, a number or a string on input."""


def _timestamp_out(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Timestamp = Annotated[datetime, PlainSerializer(_timestamp_out, return_type=str)]
"""A google.protobuf.Timestamp: RFC 3339 in UTC with a `Z` and microseconds."""


STRICT: dict[str, Any] = {"strict_wire": True}
"""Validation context for what a caller sends (the emulator reading a request): nothing is
tolerated there, as the service refuses what it does not know. Answers are read without it."""


def strict(info: ValidationInfo) -> bool:
    return bool(isinstance(info.context, dict) and info.context.get("strict_wire"))


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """An optional extra that cannot be read is left out: it must never make the answer unusable."""
    if strict(info):
        return handler(value)
    try:
        return handler(value)
    except ValidationError:
        return None


OptionalExtra = WrapValidator(_or_none)
"""Mark a field as an optional extra: `Annotated[X | None, OptionalExtra] = None`."""


class ProtoEnum(str, enum.Enum):
    """An enum that proto3 JSON spells by name and may also receive by number.

    Values the service sends that are not declared here are not errors: `tolerant` turns them
    into unknown members that keep the text. Calling the class itself (`JobState("...")`) stays
    strict, for what users type.
    """

    @classmethod
    def numbers(cls) -> dict[int, str]:
        return {number: member.value for number, member in enumerate(cls)}

    @classmethod
    def parse(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            try:
                return cls.numbers()[value]
            except KeyError:
                raise ValueError(f"{value} is not a valid {cls.__name__} number") from None
        return value

    @classmethod
    def tolerant(cls, value: Any) -> Any:
        """A member for any name or number; one this code does not know keeps its text."""
        if isinstance(value, bool) or not isinstance(value, (int, str)) or isinstance(value, cls):
            return value
        text = cls.numbers().get(value, str(value)) if isinstance(value, int) else value
        try:
            return cls(text)
        except ValueError:
            return cls._unknown(text)

    @classmethod
    def _unknown(cls, text: str) -> Any:
        member = str.__new__(cls, text)
        member._name_ = text
        member._value_ = text
        return member

    @property
    def is_known(self) -> bool:
        """False for a value a newer service sent that this code does not declare."""
        return self._value_ in type(self)._value2member_map_


E = TypeVar("E", bound=ProtoEnum)


def enum_field(cls: type[E]) -> Any:
    """A field of enum `cls`: by name or number, and in answers any value a newer service sends
    (kept as text); in requests (the STRICT context) only the declared ones."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        return cls.parse(value) if strict(info) else cls.tolerant(value)

    return Annotated[cls, BeforeValidator(validate)]


LenientTimestamp = Annotated[Timestamp | None, OptionalExtra]
"""An output timestamp; one that is not RFC 3339 is left out, never fatal."""


def _label_text(item: Any) -> Any:
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item) if isinstance(item, (int, float)) else item


def _label_values(value: Any, info: ValidationInfo) -> Any:
    """Label values are strings; a number or boolean in an answer is kept as its text."""
    if isinstance(value, dict) and not strict(info):
        return {key: _label_text(item) for key, item in value.items()}
    return value


Labels = Annotated[dict[str, str], BeforeValidator(_label_values)]


class WireModel(BaseModel):
    """Base of every wire message: camelCase aliases, snake_case accepted, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        use_enum_values=False,
    )

    def to_json_dict(self) -> dict[str, Any]:
        """The proto3 JSON form: camelCase, int64 as strings, empty fields left out."""
        body: dict[str, Any] = _drop_empty(self.model_dump(mode="json", by_alias=True, exclude_none=True))
        return body


def _drop_empty(value: Any) -> Any:
    """proto3 JSON omits empty messages, lists and maps, as the service does."""
    if isinstance(value, dict):
        cleaned = {key: _drop_empty(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in ({}, [])}
    if isinstance(value, list):
        return [_drop_empty(item) for item in value]
    return value


# --- google.rpc.Status and the error envelope ---------------------------------------------


class Status(WireModel):
    code: Annotated[int, BeforeValidator(_int64_in)] = 0
    message: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorBody(WireModel):
    code: int
    message: str
    status: str
    details: list[dict[str, Any]] | None = None


class ErrorEnvelope(WireModel):
    """`{"error": {"code": 404, "message": "...", "status": "NOT_FOUND"}}`."""

    error: ErrorBody
