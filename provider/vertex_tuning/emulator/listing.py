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

from ..wire import JobState, TuningJob
from .rpc import invalid

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 300

Match = Callable[[TuningJob], bool]
_TOKEN = re.compile(r'\s*(\(|\)|<=|>=|!=|=|<|>|:|"(?:[^"\\]|\\.)*"|[^\s()=<>!:"]+)')
_FIELD = re.compile(r"state|create_time|createTime|labels\.[a-z][a-z0-9_-]*")
_OPERATORS = {"=", "!=", "<", "<=", ">", ">=", ":"}
_HINT = 'use state="JOB_STATE_...", labels.KEY="v" or create_time>"2026-01-01T00:00:00Z"'


def parse_filter(text: str) -> Match:
    """A predicate for `text`; a 400 naming the problem when it is not a filter the service takes."""
    tokens = _tokens(text)
    if not tokens:
        return lambda job: True
    parser = _Parser(tokens, text)
    match = parser.conjunction()
    if parser.position != len(tokens):
        raise invalid(f"filter: unexpected {tokens[parser.position]!r} in {text!r}; {_HINT}.")
    return match


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    while position < len(text.rstrip()):
        found = _TOKEN.match(text, position)
        if found is None:
            raise invalid(f"filter: cannot read {text[position:]!r}; {_HINT}.")
        tokens.append(found[1])
        position = found.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str], text: str) -> None:
        self.tokens, self.text, self.position = tokens, text, 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise invalid(f"filter: {self.text!r} ends too soon; {_HINT}.")
        self.position += 1
        return token

    def conjunction(self) -> Match:
        parts = [self.disjunction()]
        while self.peek() not in (None, ")"):
            if self.peek() == "AND":
                self.take()
            parts.append(self.disjunction())
        return lambda job: all(part(job) for part in parts)

    def disjunction(self) -> Match:
        parts = [self.negation()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.negation())
        return lambda job: any(part(job) for part in parts)

    def negation(self) -> Match:
        if self.peek() == "NOT" or self.peek() == "-":
            self.take()
            inner = self.negation()
            return lambda job: not inner(job)
        if self.peek() == "-" or (self.peek() or "").startswith("-"):
            self.tokens[self.position] = self.tokens[self.position][1:]
            inner = self.negation()
            return lambda job: not inner(job)
        if self.peek() == "(":
            self.take()
            inner = self.conjunction()
            if self.take() != ")":
                raise invalid(f"filter: a '(' is not closed in {self.text!r}.")
            return inner
        return self.comparison()

    def comparison(self) -> Match:
        field = self.take()
        if not _FIELD.fullmatch(field):
            raise invalid(f"filter: unsupported field {field!r}; {_HINT}.")
        op = self.take()
        if op not in _OPERATORS:
            raise invalid(f"filter: {op!r} after {field} is not a comparison; {_HINT}.")
        raw = self.take()
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
