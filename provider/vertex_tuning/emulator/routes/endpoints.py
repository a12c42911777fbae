"""Tuned-endpoint routes: generateContent, streamGenerateContent, countTokens and endpoints.get."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

from ..calls import LOCATION, Answer, Call, route
from ..protojson import enums_to_numbers
from ..services import Services


def generate(services: Services, call: Call) -> Answer:
    return services.endpoints.generate(call.project, call.location, call.params["endpoint"], call.read(""))


def stream(services: Services, call: Call) -> Answer:
    return _streamed(
        call, services.endpoints.stream(call.project, call.location, call.params["endpoint"], call.read(""))
    )


def count_tokens(services: Services, call: Call) -> Answer:
    return services.endpoints.count_tokens(
        call.project, call.location, call.params["endpoint"], call.read("")
    )


def get_endpoint(services: Services, call: Call) -> Answer:
    return services.endpoints.get(call.project, call.location, call.params["endpoint"])


def _streamed(call: Call, chunks: list[dict[str, Any]]) -> Answer:
    """The chunks as a JSON array, or as server-sent events when the call asks `alt=sse`."""
    if call.query.get("alt") == "sse":
        return StreamingResponse(_sse(call, chunks), media_type="text/event-stream")
    return chunks


async def _sse(call: Call, chunks: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        body = enums_to_numbers(chunk) if call.enums_as_numbers else chunk
        yield f"data: {json.dumps(body, separators=(',', ':'))}\r\n\r\n".encode()


_ENDPOINT = LOCATION + r"/endpoints/(?P<endpoint>[^/:]+)"
ROUTES = [
    route("POST", _ENDPOINT + ":generateContent", "endpoints.generateContent", generate),
    route("POST", _ENDPOINT + ":streamGenerateContent", "endpoints.streamGenerateContent", stream),
    route("POST", _ENDPOINT + ":countTokens", "endpoints.countTokens", count_tokens),
    route("GET", _ENDPOINT, "endpoints.get", get_endpoint),
]
