"""Tuned endpoints: deterministic answers from the training data, generation settings, streaming."""

from __future__ import annotations

import json

import httpx
import pytest

from support.discovery import assert_error_envelope, assert_matches_schema
from support.emulator import FAST_JOB_SECONDS, sample_dataset, schema_checked_client

TRAIN = "gs://bucket/tuned/train.jsonl"
HTTP = schema_checked_client()


def _line(system: str, prompt: str, answer: str) -> str:
    return json.dumps(
        {
            "systemInstruction": {"parts": [{"text": system}]},
            "contents": [
                {"role": "user", "parts": [{"text": prompt}]},
                {"role": "model", "parts": [{"text": answer}]},
            ],
        }
    )


DATASET = (
    "\n".join(
        [
            _line("You are a pirate.", "How is the weather today?", "Arr, stormy seas ahead, matey."),
            _line("You are a butler.", "How is the weather today?", "Fair and mild, sir. STOP here please."),
            _line(
                "You are a butler.",
                "What is for dinner tonight?",
                "Roast chicken with seasonal vegetables, sir.",
            ),
        ]
    )
    + "\n"
)


@pytest.fixture
def tuned(emulator):
    emulator.admin.set_job_seconds(FAST_JOB_SECONDS)
    emulator.write_object(TRAIN, DATASET)
    job = emulator.wait_for_state(emulator.create_job(TRAIN)["name"], "JOB_STATE_SUCCEEDED")
    return emulator, f"{emulator.base_url}/v1/{job['tunedModel']['endpoint']}"


def ask(url: str, prompt: str, *, system: str | None = None, version: str = "v1", **config: object) -> dict:
    body: dict[str, object] = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
    if system:
        body["systemInstruction"] = {"parts": [{"text": system}]}
    if config:
        body["generationConfig"] = config
    response = HTTP.post(f"{url}:generateContent", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert_matches_schema(answer, "GenerateContentResponse", version=version)
    return dict(answer)


def texts(answer: dict) -> list[str]:
    return [candidate["content"]["parts"][0]["text"] for candidate in answer["candidates"]]


def test_answers_with_the_most_similar_training_example(tuned):
    _, url = tuned
    assert texts(ask(url, "what's for dinner tonight?")) == ["Roast chicken with seasonal vegetables, sir."]
    first, second = ask(url, "what's for dinner tonight?"), ask(url, "what's for dinner tonight?")
    assert texts(first) == texts(second) and first["responseId"] == second["responseId"]
    usage = first["usageMetadata"]
    assert usage["totalTokenCount"] == usage["promptTokenCount"] + usage["candidatesTokenCount"]
    assert first["candidates"][0]["finishReason"] == "STOP"


def test_the_system_instruction_steers_the_answer(tuned):
    _, url = tuned
    assert texts(ask(url, "How is the weather today?", system="You are a pirate."))[0].startswith("Arr")
    assert texts(ask(url, "How is the weather today?", system="You are a butler."))[0].startswith("Fair")


def test_max_output_tokens_truncates_with_max_tokens(tuned):
    _, url = tuned
    answer = ask(url, "what is for dinner", maxOutputTokens=2)
    assert texts(answer) == ["Roast chicken"]
    assert answer["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert answer["usageMetadata"]["candidatesTokenCount"] == 2


def test_stop_sequences_cut_the_answer(tuned):
    _, url = tuned
    answer = ask(url, "How is the weather today?", system="You are a butler.", stopSequences=["STOP"])
    assert texts(answer) == ["Fair and mild, sir. "]
    assert answer["candidates"][0]["finishReason"] == "STOP"


def test_candidate_count_and_temperature(tuned):
    _, url = tuned
    varied = texts(ask(url, "what is for dinner tonight", candidateCount=3, temperature=0.7))
    assert len(varied) == 3 and len(set(varied)) == 3
    assert varied[0] == "Roast chicken with seasonal vegetables, sir."
    greedy = texts(ask(url, "what is for dinner tonight", candidateCount=3, temperature=0))
    assert greedy == [varied[0]] * 3


def test_stream_as_sse_and_as_a_json_array(tuned):
    _, url = tuned
    body = {"contents": [{"role": "user", "parts": [{"text": "what is for dinner tonight"}]}]}
    with httpx.stream("POST", f"{url}:streamGenerateContent", params={"alt": "sse"}, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [
            json.loads(line[len("data: ") :]) for line in response.iter_lines() if line.startswith("data: ")
        ]
    assert len(events) > 1
    for event in events:
        assert_matches_schema(event, "GenerateContentResponse")
    assert "".join(e["candidates"][0]["content"]["parts"][0]["text"] for e in events) == (
        "Roast chicken with seasonal vegetables, sir."
    )
    assert events[-1]["candidates"][0]["finishReason"] == "STOP" and "usageMetadata" in events[-1]
    assert "finishReason" not in events[0]["candidates"][0]
    array = HTTP.post(f"{url}:streamGenerateContent", json=body).json()
    assert [e["candidates"] for e in array] == [e["candidates"] for e in events]


def test_bad_generation_requests_are_rejected(tuned):
    _, url = tuned
    for body in (
        {},
        {
            "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
            "generationConfig": {"candidateCount": 0},
        },
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "generationConfig": {"temperature": 5}},
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "bogus": True},
    ):
        response = HTTP.post(f"{url}:generateContent", json=body)
        assert response.status_code == 400, body
        assert_error_envelope(response.json(), "INVALID_ARGUMENT", 400)


def test_endpoints_of_failed_cancelled_and_unfinished_jobs_do_not_exist(emulator):
    emulator.write_object("gs://b/t.jsonl", sample_dataset(3))
    emulator.write_object("gs://b/bad.jsonl", "{}\n")
    unfinished = emulator.create_job("gs://b/t.jsonl")
    cancelled = emulator.create_job("gs://b/t.jsonl")
    failed = emulator.create_job("gs://b/bad.jsonl")
    emulator.http.post(f"{emulator.base_url}/v1/{cancelled['name']}:cancel")
    emulator.wait_for_state(failed["name"], "JOB_STATE_FAILED")
    emulator.wait_for_state(cancelled["name"], "JOB_STATE_CANCELLED")
    server = emulator.server.emulator
    assert server is not None
    store = server.jobs.store
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    for job in (unfinished, cancelled, failed):
        row = store.job(job["name"].rsplit("/", 1)[1])
        assert row is not None
        url = f"{emulator.base_url}/v1/{row.parent}/endpoints/{row.endpoint_id}:generateContent"
        response = emulator.http.post(url, json=body)
        assert response.status_code == 404
        assert_error_envelope(response.json(), "NOT_FOUND", 404)
