"""Fakes for the HTTP layer: a scripted MockTransport that records every request, fake credentials
carrying a canary token, and a clock that moves only when the client sleeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import google.auth.credentials
import httpx

from vertex_tuning.client import VertexClient

CANARY_TOKEN = "ya29.canary-7f3c1d9e-never-leak-this"
PROJECT = "tuning-proj"
LOCATION = "us-central1"
JOB_NAME = f"projects/{PROJECT}/locations/{LOCATION}/tuningJobs/123"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def api_error(code: int, status: str, message: str = "nope", **headers: str) -> httpx.Response:
    return httpx.Response(
        code, headers=headers, json={"error": {"code": code, "message": message, "status": status}}
    )


def job_json(job_id: str = "123", state: str = "JOB_STATE_PENDING", **fields: Any) -> dict[str, Any]:
    return {"name": f"projects/{PROJECT}/locations/{LOCATION}/tuningJobs/{job_id}", "state": state, **fields}


@dataclass
class Recorder:
    """A MockTransport that answers from a script (last reply repeats) and records every request."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def script(self, *replies: Reply) -> Recorder:
        self.replies = list(replies)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply(request) if callable(reply) else reply

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


class FakeCredentials(google.auth.credentials.Credentials):  # type: ignore[misc]
    """Real google-auth credentials whose refresh issues the canary token instead of calling Google."""

    def __init__(self, token: str = CANARY_TOKEN) -> None:
        super().__init__()
        self._issued = token
        self.refreshes = 0

    def refresh(self, request: object) -> None:
        self.refreshes += 1
        self.token = self._issued


@dataclass
class FakeClock:
    """Monotonic time that advances only when the client sleeps, so waits are recorded, not slept."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


ClientFactory = Callable[..., VertexClient]
