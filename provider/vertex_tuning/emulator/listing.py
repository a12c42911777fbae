"""Listing tuning jobs: the filter subset the service takes, and opaque, stable page tokens."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

from ..wire import JobState, TuningJob
from .rpc import invalid

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 300

_FILTER_CLAUSE = re.compile(
    r'\s*(?P<field>state|labels\.[a-z][a-z0-9_-]*)\s*(?P<op>!=|=)\s*(?P<value>"[^"]*"|[A-Za-z0-9_-]+)\s*'
)


def parse_filter(text: str) -> list[Callable[[TuningJob], bool]]:
    """The AIP-160 subset the service is seen to take: `state=...` and `labels.KEY=...`, joined by AND."""
    if not text.strip():
        return []
    matches = []
    for clause in re.split(r"\s+AND\s+", text.strip()):
        found = _FILTER_CLAUSE.fullmatch(clause)
        if found is None:
            raise invalid(
                f'filter: unsupported expression {clause!r}; use state="JOB_STATE_..." or labels.KEY="v".'
            )
        matches.append(_clause(found["field"], found["op"], found["value"].strip('"')))
    return matches


def _clause(field: str, op: str, value: str) -> Callable[[TuningJob], bool]:
    if field == "state":
        if value not in {state.value for state in JobState}:
            raise invalid(
                f"filter: {value!r} is not a job state (JOB_STATE_PENDING, JOB_STATE_RUNNING, ...)."
            )

        def actual(job: TuningJob) -> str | None:
            return job.job_state.value
    else:
        key = field.removeprefix("labels.")

        def actual(job: TuningJob) -> str | None:
            return (job.labels or {}).get(key)

    if op == "=":
        return lambda job: actual(job) == value
    return lambda job: actual(job) != value


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
