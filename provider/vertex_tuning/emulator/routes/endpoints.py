"""Tuned-endpoint routes: generateContent, streamGenerateContent, countTokens and endpoints.get."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse

from ...wire import GenerateContentRequest
from .. import tuned_model
from ..calls import LOCATION, Answer, Call, route
from ..protojson import enums_to_numbers, to_model
from ..services import Services
from ..tuned_models import Serving


def _generation(services: Services, call: Call) -> tuple[GenerateContentRequest, Serving]:
    request = to_model(GenerateContentRequest, call.read(""), "")
    serving = services.models.serving(call.project, call.location, call.params["endpoint"])
    tuned_model.check_request(request)
    return request, serving


def generate(services: Services, call: Call) -> Answer:
    request, serving = _generation(services, call)
    return tuned_model.answer(request, serving, services.jobs.clock()).to_json_dict()


def stream(services: Services, call: Call) -> Answer:
    request, serving = _generation(services, call)
    chunks = [c.to_json_dict() for c in tuned_model.stream(request, serving, services.jobs.clock())]
    if call.query.get("alt") == "sse":
        return StreamingResponse(_sse(call, chunks), media_type="text/event-stream")
    return chunks


def count_tokens(services: Services, call: Call) -> Answer:
    request = to_model(GenerateContentRequest, call.read(""), "")
    services.models.serving(call.project, call.location, call.params["endpoint"])
    if not request.contents:
        raise tuned_model.invalid("contents is required.", "contents")
    return tuned_model.count_tokens(request)


def get_endpoint(services: Services, call: Call) -> Answer:
    return services.models.endpoint(call.project, call.location, call.params["endpoint"])


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
