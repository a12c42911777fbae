"""The emulator for tests: in-process (`emulator` fixture) or as a subprocess (`emulator_process`).

def test_x(emulator):
    emulator.write_object("gs://b/train.jsonl", sample_dataset(10))
    httpx.post(emulator.base_url + "/v1/projects/p/locations/us-central1/tuningJobs", json=...)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from support.discovery import assert_error_envelope, assert_matches_schema
from vertex_tuning.emulator.admin import EmulatorAdmin
from vertex_tuning.emulator.app import ROUTES
from vertex_tuning.emulator.jobs import JobService
from vertex_tuning.emulator.server import EmulatorServer
from vertex_tuning.emulator.storage import DataDir
from vertex_tuning.wire import TuningJob

TEST_JOB_SECONDS = 1.0
# For tests that only wait for the end of a job (none that must catch it mid-way).
FAST_JOB_SECONDS = 0.3
PROJECT = "test-project"
LOCATION = "us-central1"
BASE_MODEL = "gemini-3.1-flash-lite"
TOPICS = ("weather", "taxes", "gardening", "chess", "music", "cooking", "travel", "physics")


def sample_examples(n: int = 10, *, system: str | None = None) -> list[dict[str, object]]:
    """`n` distinct, valid Gemini-format examples (prompts about different topics)."""
    examples: list[dict[str, object]] = []
    for index in range(n):
        topic = TOPICS[index % len(TOPICS)]
        example: dict[str, object] = {
            "contents": [
                {"role": "user", "parts": [{"text": f"Question {index}: tell me about {topic} please"}]},
                {"role": "model", "parts": [{"text": f"Answer {index}: {topic} is a fine subject."}]},
            ]
        }
        if system:
            example["systemInstruction"] = {"parts": [{"text": system}]}
        examples.append(example)
    return examples


def sample_dataset(n: int = 10, *, system: str | None = None) -> str:
    """JSONL text of `sample_examples`."""
    return "".join(json.dumps(example) + "\n" for example in sample_examples(n, system=system))


def messages_dataset(n: int = 5) -> str:
    """JSONL in the legacy `messages` format (gemini-1.0-pro-002)."""
    lines = [
        {"messages": [{"role": "user", "content": f"ping {i}"}, {"role": "model", "content": f"pong {i}"}]}
        for i in range(n)
    ]
    return "".join(json.dumps(line) + "\n" for line in lines)


def multimodal_dataset(n: int = 4) -> str:
    """JSONL whose prompts carry an image (fileData) next to their text."""
    lines = []
    for index in range(n):
        image = {"fileData": {"mimeType": "image/png", "fileUri": f"gs://bucket/images/{index}.png"}}
        lines.append(
            {
                "contents": [
                    {"role": "user", "parts": [image, {"text": f"What is in picture {index}?"}]},
                    {"role": "model", "parts": [{"text": f"Picture {index} shows a cat."}]},
                ]
            }
        )
    return "".join(json.dumps(line) + "\n" for line in lines)


def job_body(training_uri: str, **extra: object) -> dict[str, object]:
    """A minimal valid create body."""
    return {"baseModel": BASE_MODEL, "supervisedTuningSpec": {"trainingDatasetUri": training_uri}, **extra}


# What each route answers, as the discovery document names it.
ROUTE_SCHEMAS = {
    "tuningJobs.create": "TuningJob",
    "tuningJobs.get": "TuningJob",
    "tuningJobs.list": "ListTuningJobsResponse",
    "tuningJobs.cancel": "GoogleProtobufEmpty",
    "endpoints.generateContent": "GenerateContentResponse",
    "endpoints.streamGenerateContent": "GenerateContentResponse",
    "metadataStores.contexts.get": "Context",
    "tensorboards.experiments.runs.list": "ListTensorboardRunsResponse",
    "tensorboards.experiments.runs.timeSeries.list": "ListTensorboardTimeSeriesResponse",
    "tensorboards.experiments.runs.timeSeries.read": "ReadTensorboardTimeSeriesDataResponse",
    "tensorboards.experiments.runs.timeSeries.get": "TensorboardTimeSeries",
    "tensorboards.experiments.runs.get": "TensorboardRun",
    "tensorboards.experiments.get": "TensorboardExperiment",
    "tensorboards.get": "Tensorboard",
    "tensorboards.batchRead": "BatchReadTensorboardTimeSeriesDataResponse",
    "metadataStores.contexts.list": "ListContextsResponse",
    "metadataStores.contexts.patch": "Context",
    "endpoints.countTokens": "CountTokensResponse",
    "endpoints.get": "Endpoint",
    "models.get": "Model",
    "models.patch": "Model",
}


def check_api_response(response: httpx.Response) -> None:
    """Validate an emulator answer: success bodies against their schema, errors as Google's envelope."""
    path = response.request.url.path
    version = path.split("/")[1]
    if version not in ("v1", "v1beta1") or "enum-encoding=int" in response.request.url.params.get("$alt", ""):
        return  # admin routes; integer enums are outside the discovery document's vocabulary
    response.read()
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        bodies = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    else:
        bodies = [response.json()]
    if response.status_code != 200:
        assert_error_envelope(bodies[0], bodies[0]["error"]["status"], response.status_code)
        return
    route = next(r for r in ROUTES if r.method == response.request.method and r.pattern.fullmatch(path))
    if isinstance(bodies[0], list):  # a stream without alt=sse is a JSON array of responses
        bodies = bodies[0]
    for body in bodies:
        assert_matches_schema(body, ROUTE_SCHEMAS[route.name], version=version)


def schema_checked_client() -> httpx.Client:
    return httpx.Client(timeout=30, event_hooks={"response": [check_api_response]})


def create_with_service(service: JobService, **spec: object) -> TuningJob:
    """Create a job on `gs://b/train.jsonl` straight through a JobService (no HTTP)."""
    body = {
        "baseModel": BASE_MODEL,
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/train.jsonl", **spec},
    }
    return service.create("proj", LOCATION, TuningJob.model_validate(body))


class RunningEmulator:
    """Helpers around a started emulator: its URLs, data directory and admin client."""

    def __init__(self, base_url: str, data_dir: Path) -> None:
        self.base_url = base_url
        self.host_port = base_url.removeprefix("http://")
        self.data_dir = data_dir
        self.admin = EmulatorAdmin(base_url)
        # One pooled client (a fresh httpx.get costs tens of milliseconds of TLS setup) that checks
        # every API answer against the discovery document.
        self.http = schema_checked_client()

    def close(self) -> None:
        self.admin.close()
        self.http.close()

    @property
    def env(self) -> dict[str, str]:
        return {"VERTEX_AI_EMULATOR_HOST": self.host_port}

    def parent(self, version: str = "v1", project: str = PROJECT, location: str = LOCATION) -> str:
        return f"{self.base_url}/{version}/projects/{project}/locations/{location}"

    def write_object(self, uri: str, text: str) -> Path:
        """Put `text` at a gs:// URI (under the emulator's data directory)."""
        return DataDir(self.data_dir).write_text(uri, text)

    def create_job(self, training_uri: str | None = None, *, version: str = "v1", **extra: object) -> dict:
        """Create a job on a fresh sample dataset (or `training_uri`); returns the created job."""
        if training_uri is None:
            training_uri = f"gs://bucket/train-{time.monotonic_ns()}.jsonl"
            self.write_object(training_uri, sample_dataset(10))
        response = self.http.post(f"{self.parent(version)}/tuningJobs", json=job_body(training_uri, **extra))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def get_job(self, name: str, version: str = "v1") -> dict:
        response = self.http.get(f"{self.base_url}/{version}/{name}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_for_state(self, name: str, *states: str, timeout: float = 20.0) -> dict:
        """Poll until the job is in one of `states` (e.g. "JOB_STATE_SUCCEEDED")."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get_job(name)
            if job["state"] in states:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} stayed {job['state']}, wanted {states}")
            time.sleep(0.05)


class InProcessEmulator(RunningEmulator):
    def __init__(self, server: EmulatorServer) -> None:
        super().__init__(server.base_url, server.data_dir)
        self.server = server


@contextmanager
def serving(server: EmulatorServer) -> Iterator[InProcessEmulator]:
    """Start `server` in this process; closed and stopped on the way out."""
    running = InProcessEmulator(server.start())
    try:
        yield running
    finally:
        running.close()
        server.stop()


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[InProcessEmulator]:
    """A started in-process emulator with a fresh data directory and ~1 s jobs."""
    with serving(EmulatorServer(tmp_path / "emulator-data", job_seconds=TEST_JOB_SECONDS)) as running:
        yield running


SEED_DAY = dt.date(2024, 11, 1)
"""A day when the seed document's models (gemini-1.5-*-002, gemini-1.0-pro-002) were tuned."""


@pytest.fixture
def seed_emulator(tmp_path: Path) -> Iterator[InProcessEmulator]:
    """The emulator set back to SEED_DAY, serving that day's model catalogue."""
    server = EmulatorServer(tmp_path / "emulator-data", job_seconds=FAST_JOB_SECONDS, as_of=SEED_DAY)
    with serving(server) as running:
        yield running


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmulatorProcess(RunningEmulator):
    """`python -m vertex_tuning.emulator` in a subprocess; restarts keep its port and state file."""

    def __init__(
        self, data_dir: Path, *, job_seconds: float = TEST_JOB_SECONDS, extra_args: tuple[str, ...] = ()
    ):
        self.port = free_port()
        super().__init__(f"http://127.0.0.1:{self.port}", data_dir)
        self.state_file = data_dir / "state.sqlite3"
        self.job_seconds = job_seconds
        self.extra_args = extra_args
        self.process: subprocess.Popen[str] | None = None

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "vertex_tuning.emulator",
            "--port", str(self.port), "--data-dir", str(self.data_dir),
            "--state", str(self.state_file), "--job-seconds", str(self.job_seconds), *self.extra_args,
        ]  # fmt: skip

    def start(self, timeout: float = 20.0) -> EmulatorProcess:
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ}
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not re.search(r"listening on http://", line):
            self.process.kill()
            _, err = self.process.communicate(timeout=timeout)
            raise RuntimeError(f"emulator did not start: {line!r} {err}")
        return self

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM and wait: a clean shutdown."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL: the process dies with no chance to clean up."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> EmulatorProcess:
        self.stop()
        return self.start()


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[EmulatorProcess]:
    """The emulator as a subprocess on a free port (start/stop/kill/restart)."""
    running = EmulatorProcess(tmp_path / "emulator-process").start()
    try:
        yield running
    finally:
        running.kill()
        running.close()
