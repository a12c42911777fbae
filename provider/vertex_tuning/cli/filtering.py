"""AIP-160 filters, checked locally: `jobs list --filter` sends the filter to the service and checks
every job it returns again here, because the service's support for some fields (labels) is unconfirmed.

Grammar (google.aip.dev/160): comparisons `field OP value` with `= != < <= > >= :` (has), joined by
`AND`, `OR` (which binds tighter than AND, as AIP-160 says), juxtaposition (AND), `NOT` or `-`, and
parentheses. Fields are the API's JSON names (`state`, `labels.team`, `tunedModelDisplayName`,
`createTime`; snake_case too); `*` in a string value is a wildcard; `labels:team` asks whether the
label is there. Times compare as times, numbers as numbers.
"""

from __future__ import annotations

import fnmatch
import operator as compare
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .. import list_filter
from .output import field_value

Resource = dict[str, Any]
Predicate = Callable[[Resource], bool]

_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": compare.lt,
    "<=": compare.le,
    ">": compare.gt,
    ">=": compare.ge,
}


class FilterError(ValueError):
    """A filter this module cannot read; the message says where."""


def parse(text: str) -> Predicate:
    """A predicate on a resource's JSON form, or FilterError."""
    try:
        return list_filter.parse(text, lambda field, op, raw: _comparison(field, op, _unquote(raw)))
    except list_filter.FilterSyntaxError as error:
        raise FilterError(error.message(_MESSAGES)) from None


_MESSAGES: dict[list_filter.Problem, str] = {
    "unreadable": "filter {text!r}: cannot read it from {token!r}",
    "unexpected": "filter {text!r}: unexpected {token!r}",
    "unclosed": "filter {text!r}: a '(' is not closed",
    "operator": 'filter {text!r}: {field!r} needs a comparison such as {field}="value"',
    "no_operator": 'filter {text!r}: {field!r} needs a comparison such as {field}="value"',
    "ends": "filter {text!r} ends too early",
}


def _unquote(token: str) -> str:
    if token.startswith('"') and token.endswith('"') and len(token) >= 2:
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


def _comparison(field: str, operator: str, wanted: str) -> Predicate:
    def check(resource: Resource) -> bool:
        actual = field_value(resource, field)
        if operator == ":":
            return _has(actual, wanted)
        if operator in ("=", "!="):
            equal = _equal(actual, wanted)
            return equal if operator == "=" else not equal
        return _ordered(actual, wanted, operator)

    return check


def _has(actual: Any, wanted: str) -> bool:
    if actual is None:
        return False
    if wanted == "*":
        return True
    if isinstance(actual, dict):
        return wanted in actual
    if isinstance(actual, list):
        return any(_equal(item, wanted) for item in actual)
    return _equal(actual, wanted)


def _equal(actual: Any, wanted: str) -> bool:
    if actual is None:
        return wanted == ""
    if isinstance(actual, bool):
        return str(actual).lower() == wanted.lower()
    if isinstance(actual, (int, float)):
        number = _number(wanted)
        return number is not None and float(actual) == number
    text = str(actual)
    return fnmatch.fnmatchcase(text, wanted) if "*" in wanted else text == wanted


def _ordered(actual: Any, wanted: str, operator: str) -> bool:
    if actual is None:
        return False
    left: Any = str(actual)
    right: Any = wanted
    if _time(left) is not None and _time(right) is not None:
        left, right = _time(left), _time(right)
    elif _number(left) is not None and _number(right) is not None:
        left, right = _number(left), _number(right)
    return bool(_ORDER[operator](left, right))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _time(text: str) -> datetime | None:
    if len(text) < 10 or not text[:4].isdigit() or text[4] != "-":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
