"""Gemini 3.x tuned models are served only on the `us` / `eu` multi-region hosts (the tuning page):
calls to their endpoints go there, whatever region the job was tuned in."""

from __future__ import annotations

import httpx
import pytest
from client_fakes import PROJECT, ClientFactory

from support.recorder import Recorder
from vertex_tuning import wire
from vertex_tuning.names import EndpointName

ANSWER = {"candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}]}


@pytest.mark.parametrize(
    ("location", "base_model", "host"),
    [
        ("us-central1", "gemini-3.1-flash-lite", "aiplatform.us.rep.googleapis.com"),
        ("europe-west4", "gemini-3.5-flash", "aiplatform.eu.rep.googleapis.com"),
        ("us-central1", "translation-llm-002", "us-central1-aiplatform.googleapis.com"),
        ("us-central1", None, "us-central1-aiplatform.googleapis.com"),  # not told: the endpoint's region
        ("us", "gemini-3.5-flash", "aiplatform.us.rep.googleapis.com"),
    ],
)
def test_a_tuned_endpoint_is_called_on_the_host_that_serves_its_base_model(
    make_client: ClientFactory, recorder: Recorder, location: str, base_model: str | None, host: str
) -> None:
    recorder.script(httpx.Response(200, json=ANSWER))
    endpoint = f"projects/{PROJECT}/locations/{location}/endpoints/77"
    answer = make_client().generate_content(
        EndpointName.parse(endpoint), wire.GenerateContentRequest(), base_model=base_model
    )
    assert answer.text == "hi"
    sent = recorder.requests[-1]
    assert sent.url.host == host
    assert sent.url.path == f"/v1/{endpoint}:generateContent"  # the endpoint's name as the service gave it
    assert sent.headers["Authorization"].startswith("Bearer ")
