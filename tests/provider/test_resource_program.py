"""A program under Pulumi's mocks: what the TuningJob resource registers and what its pickled
provider carries (nothing secret), and that a fresh process loads that provider from the package."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import dill
import pulumi
import pytest
from google.oauth2.credentials import Credentials
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import settings as runtime_settings

from support.pulumi_program import RecordingMocks, resolve
from vertex_tuning import TuningJob, provider
from vertex_tuning.client import VertexClient
from vertex_tuning.settings import Settings

CANARY = "ya29.CANARY-token-b1d4e5f0"


@pytest.fixture
def mocks(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingMocks]:
    # The canary sits everywhere a careless provider could pick a secret up: the environment, the
    # stack config, and a live client with credentials in this process's client cache.
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", CANARY)
    settings = Settings(project="acme-ml")
    client = VertexClient(settings, credentials=Credentials(token=CANARY))
    monkeypatch.setitem(provider._clients, settings, client)
    recorder = RecordingMocks()
    # `asyncio.run` elsewhere in this worker (the host driver) may have left no current loop.
    asyncio.set_event_loop(asyncio.new_event_loop())
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(recorder, project="tuning", stack="dev", preview=False, organization="acme")
    yield recorder
    client.close()


def registered_blob(mocks: RecordingMocks) -> str:
    """The `__provider` input as the engine receives it (a secret: the SDK marks it so)."""
    (job,) = mocks.of_type("pulumi-python:dynamic")
    blob = job.inputs["__provider"]
    return str(blob["value"] if isinstance(blob, dict) else blob)


def make_job() -> TuningJob:
    """A TuningJob, registered with the mocks once its id has resolved."""
    job = TuningJob(
        "support-bot",
        base_model="gemini-3.1-flash-lite",
        training_dataset_uri="gs://acme-ml/support/train.jsonl",
        labels={"team": "ml"},
    )
    resolve(job.id)
    return job


def test_the_resource_registers_identity_inputs_and_declares_outputs(mocks: RecordingMocks) -> None:
    job = make_job()
    (registered,) = mocks.of_type("pulumi-python:dynamic/vertex-tuning:TuningJob")
    inputs: dict[str, Any] = registered.inputs
    assert inputs["pulumi_organization"] == "acme"
    assert inputs["pulumi_stack"] == "dev"
    assert inputs["pulumi_project"] == "tuning"
    assert inputs["resource_name"] == "support-bot"
    assert inputs["training_dataset_uri"] == "gs://acme-ml/support/train.jsonl"
    assert "/endpoints/" in resolve(job.tuned_model_endpoint_name)
    assert resolve(job.state) == "JOB_STATE_SUCCEEDED"


def test_the_pickled_provider_holds_no_credentials_or_tokens(mocks: RecordingMocks) -> None:
    make_job()
    raw = base64.b64decode(registered_blob(mocks))
    assert CANARY.encode() not in raw
    assert b"ya29" not in raw
    # By reference: module and class name, no bytecode, no instance state worth the name.
    assert b"vertex_tuning.provider" in raw and b"TuningJobProvider" in raw
    assert b"_create_code" not in raw and b"_create_type" not in raw
    assert len(raw) < 200


def test_a_configured_provider_pickles_without_its_config() -> None:
    configured = provider.TuningJobProvider()
    config = {"gcp:accessToken": CANARY, "vertex-tuning:project": "acme-ml", "gcp:region": "europe-west4"}
    configured.configure(ConfigureRequest(Config(config, "tuning")))
    assert configured._config["vertex-tuning:project"] == "acme-ml"
    raw = base64.b64decode(serialize_provider(configured))
    assert CANARY.encode() not in raw and b"acme-ml" not in raw


def test_a_fresh_process_loads_the_provider_from_the_package(mocks: RecordingMocks) -> None:
    make_job()
    loader = (
        "import base64, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.stdin.read()))\n"
        "print(type(p).__module__, type(p).__qualname__, vars(p))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", loader],
        input=registered_blob(mocks),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["vertex_tuning.provider", "TuningJobProvider", "{'_config':", "{}}"]
    assert isinstance(dill.loads(base64.b64decode(registered_blob(mocks))), provider.TuningJobProvider)  # noqa: S301
