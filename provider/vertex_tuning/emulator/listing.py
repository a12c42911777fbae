"""Listing tuning jobs: AIP-160 filters on state, labels and create time, and stable page tokens.

The filter grammar is AIP-160's: comparisons joined by `AND` (or a space), `OR` (which binds
tighter, as AIP-160 says), `NOT` or `-`, and parentheses. Fields: `state`, `labels.KEY`
(`=`, `!=`, or `:` for "has", `labels.KEY:*` for "has the label"), and `create_time` /
`createTime` (`=`, `!=`, `<`, `<=`, `>`, `>=` against an RFC 3339 time).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import datetime, timezone

from .. import list_filter
from ..wire import JobState, TuningJob
from .rpc import invalid

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 300

Match = Callable[[TuningJob], bool]
_FIELD = re.compile(r"state|create_time|createTime|labels\.[a-z][a-z0-9_-]*")
_HINT = 'use state="JOB_STATE_...", labels.KEY="v" or create_time>"2026-01-01T00:00:00Z"'


def parse_filter(text: str) -> Match:
    """A predicate for `text`; a 400 naming the problem when it is not a filter the service takes."""
    try:
        return list_filter.parse(text, _leaf, _check_field)
    except list_filter.FilterSyntaxError as error:
        raise invalid(error.message(_MESSAGES)) from None


_MESSAGES: dict[list_filter.Problem, str] = {
    "unreadable": f"filter: cannot read {{token!r}}; {_HINT}.",
    "unexpected": f"filter: unexpected {{token!r}} in {{text!r}}; {_HINT}.",
    "unclosed": "filter: a '(' is not closed in {text!r}.",
    "operator": f"filter: {{token!r}} after {{field}} is not a comparison; {_HINT}.",
    "no_operator": f"filter: {{text!r}} ends too soon; {_HINT}.",
    "ends": f"filter: {{text!r}} ends too soon; {_HINT}.",
}


def _check_field(field: str) -> None:
    if not _FIELD.fullmatch(field):
        raise invalid(f"filter: unsupported field {field!r}; {_HINT}.")


def _leaf(field: str, op: str, raw: str) -> Match:
    value = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
    return _comparison(field, op, value)


def _comparison(field: str, op: str, value: str) -> Match:
    if field == "state":
        if op not in ("=", "!=", ":"):
            raise invalid(f"filter: state takes = or !=, not {op}.")
        if value not in {state.value for state in JobState}:
            raise invalid(
                f"filter: {value!r} is not a job state (JOB_STATE_PENDING, JOB_STATE_RUNNING, ...)."
            )
        return _equality(op, value, lambda job: job.job_state.value)
    if field in ("create_time", "createTime"):
        when = _time(value)
        compare: dict[str, Callable[[datetime], bool]] = {
            "=": lambda t: t == when, ":": lambda t: t == when, "!=": lambda t: t != when,
            "<": lambda t: t < when, "<=": lambda t: t <= when, ">": lambda t: t > when,
            ">=": lambda t: t >= when,
        }  # fmt: skip
        return lambda job: job.create_time is not None and compare[op](job.create_time)
    key = field.removeprefix("labels.")
    if op == ":" and value == "*":
        return lambda job: key in (job.labels or {})
    if op not in ("=", "!=", ":"):
        raise invalid(f"filter: labels take =, != or :, not {op}.")
    return _equality(op, value, lambda job: (job.labels or {}).get(key))


def _equality(op: str, value: str, actual: Callable[[TuningJob], str | None]) -> Match:
    if op == "!=":
        return lambda job: actual(job) != value
    return lambda job: actual(job) == value


def _time(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid(f"filter: {value!r} is not an RFC 3339 time such as 2026-01-01T00:00:00Z.") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def encode_page_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"after:{seq}".encode()).decode()


def decode_page_token(token: str) -> int | None:
    if not token:
        return None
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        return int(text.removeprefix("after:")) if text.startswith("after:") else int("x")
    except ValueError:
        raise invalid("page_token is not a token this service returned.") from None
