"""An HTTP request recorder: a scripted `httpx.MockTransport` that keeps every request it served."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
"""A scripted answer: a response, an exception to raise (a transport error), or a function of the request."""


class Recorder:
    """Answers from a script, in order (the last reply repeats), and records every request."""

    def __init__(self, *replies: Reply) -> None:
        self.replies: list[Reply] = list(replies)
        self.requests: list[httpx.Request] = []

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
