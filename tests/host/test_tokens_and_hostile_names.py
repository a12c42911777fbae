"""Hostile names, where bearer tokens go, canary leaks, and the emulator's reach.

Every provider host here runs with `host_shim` loaded: it records each connection and HTTP
request before it is sent, hands out Application Default Credentials whose token is a canary, and
carries requests meant for `https://*.googleapis.com` to the emulator instead (no request ever
leaves the machine). The tests then read what the host tried to send.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import dill
import httpx
import pytest

from support.deployment import Deployment, put_dataset, tuning_inputs
from support.emulator import PROJECT, EmulatorProcess, job_body, sample_dataset
from support.provider_host import HostCallError
from vertex_tuning.api import generate_content
from vertex_tuning.emulator.server import EmulatorServer
from vertex_tuning.emulator.storage import DataDir, StorageError
from vertex_tuning.errors import InvalidNameError

pytestmark = pytest.mark.slow

SHIM = Path(__file__).parents[1] / "support" / "host_shim"
CANARY = "ya29.CANARY-7f3e9b1c-do-not-leak"
GOOGLE_HOST = "us-central1-aiplatform.googleapis.com"

INJECTED_LOCATIONS = [
    "us-central1.evil.com/x",
    "evil.com#",
    "us-central1@evil.com",
    "../../v1/projects",
    "us-central1%2F..",
    "us-central1\n",
    "us-\u0441entral1",  # Cyrillic es
    "us-central1/",
]
INJECTED_PROJECTS = [
    "my-project.evil.com/x",
    "../other-project",
    "my-project%2Fx",
    "my-project\nHost: evil.com",
    "my-pr\u043eject",  # Cyrillic o
    "my-project?x=1",
]
INJECTED_JOB_NAMES = [
    f"projects/{PROJECT}/locations/us-central1.evil.com/tuningJobs/1",
    f"projects/{PROJECT}/locations/us-central1/tuningJobs/1/../../../other",
    f"projects/{PROJECT}/locations/us-central1/tuningJobs/1%2F..%2F2",
    f"projects/{PROJECT}/locations/us-central1/tuningJobs/1\n",
    f"projects/{PROJECT}/locations/us-central1/tuningJobs/\u0661",  # Arabic-Indic one
    "https://evil.com/v1/projects/p/locations/us-central1/tuningJobs/1",
]


class Shim:
    """Environment for a shimmed provider host and what that host recorded."""

    def __init__(self, tmp_path: Path, **options: str) -> None:
        self.record = tmp_path / "host-record.jsonl"
        self.env = {"PYTHONPATH": str(SHIM), "RELIABILITY_RECORD": str(self.record), **options}

    def entries(self, kind: str) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        lines = self.record.read_text(encoding="utf-8").splitlines()
        return [entry for entry in map(json.loads, lines) if entry["kind"] == kind]


@pytest.fixture
def google_shim(tmp_path, emulator) -> Shim:
    """A host that believes it talks to Google with a canary token; the emulator answers."""
    return Shim(
        tmp_path,
        RELIABILITY_CANARY_TOKEN=CANARY,
        RELIABILITY_FRONT_END=emulator.host_port,
        RELIABILITY_ADC_PROJECT=PROJECT,
    )


def as_google(emulator, shim: Shim) -> Deployment:
    return Deployment(emulator, env=shim.env, emulator_host=False)


# --- names are validated before they reach a host name or a path -------------------------------


@pytest.mark.parametrize(
    ("field", "hostile_values"),
    [("location", INJECTED_LOCATIONS), ("project", INJECTED_PROJECTS)],
    ids=["locations", "projects"],
)
def test_injected_names_send_nothing(emulator, google_shim, field, hostile_values):
    put_dataset(emulator)
    with as_google(emulator, google_shim) as deployment:
        for hostile in hostile_values:
            inputs = tuning_inputs(**{field: hostile})
            failures = deployment.check_failures(inputs)
            assert [name for name, _ in failures] == [field], hostile
            with pytest.raises(HostCallError):
                deployment.create(inputs)  # as if the engine ignored check's verdict

    assert google_shim.entries("request") == [] and google_shim.entries("connect") == []


def test_injected_job_names_send_nothing(emulator, google_shim):
    with as_google(emulator, google_shim) as deployment:
        for job_name in INJECTED_JOB_NAMES:
            for call in (deployment.read, deployment.delete):
                with pytest.raises(HostCallError) as raised:
                    call(job_name, {"job_name": job_name})
                assert "InvalidNameError" in raised.value.details, job_name

    assert google_shim.entries("request") == [] and google_shim.entries("connect") == []


@pytest.mark.parametrize(
    "config",
    [
        {"vertex-tuning:location": "us-central1.evil.com/x"},
        {"gcp:region": "../x"},
        {"gcp:project": "p.evil.com/x"},
        {"vertex-tuning:emulatorHost": "evil.com:80/x"},
    ],
    ids=["location", "region", "project", "emulator-host"],
)
def test_injected_stack_config_sends_nothing(emulator, google_shim, config):
    inputs = {key: value for key, value in tuning_inputs().items() if key not in ("project", "location")}
    with Deployment(emulator, config=config, env=google_shim.env, emulator_host=False) as deployment:
        failures = deployment.check_failures(inputs)
        with pytest.raises(HostCallError):
            deployment.create(inputs)

    assert failures, "check names the bad setting"
    assert google_shim.entries("request") == [] and google_shim.entries("connect") == []


# --- bearer tokens go only to Google's API hosts over HTTPS ------------------------------------


def test_token_goes_only_to_googleapis_over_https(emulator, google_shim):
    put_dataset(emulator)
    with as_google(emulator, google_shim) as deployment:
        _, outs = deployment.up(tuning_inputs())

    sent = google_shim.entries("request")
    assert outs["state"] == "JOB_STATE_SUCCEEDED" and sent
    for request in sent:
        url = httpx.URL(request["url"])
        assert (url.scheme, url.host) == ("https", GOOGLE_HOST), request["url"]
        assert request["authorization"] == f"Bearer {CANARY}"


def test_emulator_gets_no_token_even_when_credentials_exist(emulator, tmp_path):
    shim = Shim(tmp_path, RELIABILITY_CANARY_TOKEN=CANARY)
    put_dataset(emulator)
    with Deployment(emulator, env=shim.env) as deployment:
        _, outs = deployment.up(tuning_inputs())

    sent = shim.entries("request")
    assert outs["state"] == "JOB_STATE_SUCCEEDED" and sent
    assert all(httpx.URL(request["url"]).host == "127.0.0.1" for request in sent)
    assert all(request["authorization"] is None for request in sent)


# --- the canary token never lands in state, inputs, outputs, logs or errors ---------------------


def test_canary_token_never_leaks(emulator, google_shim):
    put_dataset(emulator)
    with as_google(emulator, google_shim) as deployment:
        checked = deployment.check(tuning_inputs())
        job_id, outs = deployment.create(checked)
        _, refreshed, refreshed_inputs = deployment.read(job_id, outs, checked)
        emulator.admin.add_fault("tuningJobs.list", status=403, message="Permission denied (test).")
        with pytest.raises(HostCallError) as denied:
            deployment.up(tuning_inputs("other"))
        with pytest.raises(HostCallError) as invalid:
            deployment.read(f"projects/{PROJECT}/locations/us-central1/tuningJobs/x", outs)
        stderr = deployment.stderr_text()

    blob = base64.b64decode(outs["__provider"])
    places = {
        "checked inputs": json.dumps(checked),
        "outputs": json.dumps(outs),
        "refreshed outputs": json.dumps(refreshed),
        "refreshed inputs": json.dumps(refreshed_inputs),
        "pickled provider": blob.decode("latin-1"),
        "a 403 error": denied.value.details,
        "an invalid-name error": invalid.value.details,
        "host stderr": stderr,
    }
    assert CANARY in json.dumps(google_shim.entries("request")), "the token was really in use"
    assert "Permission denied (test)" in denied.value.details
    for place, text in places.items():
        assert CANARY not in text and "CANARY" not in text, f"the token leaked into the {place}"
    assert dill.loads(blob).__dict__ == {"_config": {}}  # noqa: S301  (our own blob)


# --- the emulator: loopback by default, gs:// confined to its data directory -------------------


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port`, as the kernel lists them (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


LOOPBACK_V4 = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the kernel's socket table")
def test_emulator_binds_loopback_by_default(tmp_path):
    with EmulatorServer(tmp_path / "data") as server:
        assert listening_addresses(server.port) == {LOOPBACK_V4}


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the kernel's socket table")
def test_emulator_command_binds_loopback_by_default(tmp_path):
    process = EmulatorProcess(tmp_path / "data")
    assert "--host" not in process.command(), "the default is what is tested"
    process.start()
    try:
        assert listening_addresses(process.port) == {LOOPBACK_V4}
    finally:
        process.kill()
        process.admin.close()


ESCAPES = [
    "gs://bucket/../outside/train.jsonl",
    "gs://bucket/%2e%2e/outside/train.jsonl",
    "gs://bucket/%2E%2E%2Foutside%2Ftrain.jsonl",
    "gs://../outside/train.jsonl",
    "gs://bucket/./../outside/train.jsonl",
    "gs://bucket/link/train.jsonl",  # a symlink inside the data directory pointing out of it
]


@pytest.fixture
def outside_dataset(tmp_path) -> Path:
    """A valid dataset just outside the emulator's data directory, and a symlink to its folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "train.jsonl").write_text(sample_dataset(10), encoding="utf-8")
    return outside


@pytest.mark.parametrize("uri", ESCAPES)
def test_gs_uri_cannot_leave_the_data_directory(emulator, outside_dataset, uri):
    data_dir = Path(emulator.data_dir)
    (data_dir / "bucket").mkdir(exist_ok=True)
    (data_dir / "bucket" / "link").symlink_to(outside_dataset, target_is_directory=True)
    assert (outside_dataset / "train.jsonl").is_file()

    with pytest.raises(StorageError):
        DataDir(data_dir).resolve(uri)
    response = httpx.post(f"{emulator.parent()}/tuningJobs", json=job_body(uri))
    if response.status_code == 200:  # accepted, then the dataset is read: it must not be found
        job = emulator.wait_for_state(response.json()["name"], "JOB_STATE_FAILED", "JOB_STATE_SUCCEEDED")
        assert job["state"] == "JOB_STATE_FAILED", "the emulator trained on a file outside its data dir"
    else:
        assert response.status_code == 400
    # The Cloud Storage routes go through the same mapping.
    escaped = uri.removeprefix("gs://bucket/").replace("/", "%2F")
    metadata = httpx.get(f"{emulator.base_url}/storage/v1/b/bucket/o/{escaped}")
    assert metadata.status_code in (400, 404) and "storage#object" not in metadata.text


INJECTED_ENDPOINTS = [
    f"projects/{PROJECT}/locations/us-central1.evil.com/endpoints/1",
    f"projects/{PROJECT}/locations/us-central1/endpoints/1/../../models/2",
    f"projects/{PROJECT}/locations/us-central1/endpoints/1%2F..",
    f"projects/{PROJECT}/locations/us-central1/endpoints/1?alt=evil",
    f"projects/{PROJECT}/locations/us-central1/endpoints/\u0967",  # Devanagari one
    "https://evil.com/v1/projects/p/locations/us-central1/endpoints/1",
]


def test_injected_endpoint_names_send_nothing(monkeypatch):
    """The tuned model's endpoint is prompted from programs (`generate_content`), not the host."""
    sent: list[str] = []
    monkeypatch.setattr(
        httpx.HTTPTransport, "handle_request", lambda _, request: sent.append(str(request.url))
    )
    monkeypatch.setenv("VERTEX_AI_EMULATOR_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    for endpoint in INJECTED_ENDPOINTS:
        with pytest.raises(InvalidNameError):
            generate_content(endpoint, "hello")
    assert sent == []
