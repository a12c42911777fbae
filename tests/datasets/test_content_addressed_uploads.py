"""GitOps staging: content-addressed uploads to Cloud Storage (the emulator's routes, and the wire rules)."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from support.credentials import CANARY_TOKEN, FakeCredentials
from support.emulator import sample_dataset
from support.recorder import Recorder
from vertex_tuning import staging
from vertex_tuning.client import RetryPolicy, VertexClient
from vertex_tuning.errors import InvalidNameError, PermissionDeniedError, StagingUriError, TransportError
from vertex_tuning.names import GcsObjectName
from vertex_tuning.settings import Settings, Transport
from vertex_tuning.staging import StagingLocation

PROJECT = "test-project"


def emulator_client(emulator) -> VertexClient:
    return VertexClient(Settings(project=PROJECT, transport=Transport(emulator_host=emulator.host_port)))


def stage(client: VertexClient, path: Path, staging_uri: str) -> str:
    """The product's path for one file: check plans its content-addressed URI, create uploads it."""
    planned, problems = staging.plan_local_datasets({"training_dataset": str(path)}, staging_uri)
    assert problems == []
    staging.upload_local_datasets(client, planned)
    return str(planned["training_dataset_uri"])


def dataset(tmp_path: Path, name: str = "train.jsonl", n: int = 5) -> Path:
    path = tmp_path / name
    path.write_text(sample_dataset(n))
    return path


def test_stage_uploads_under_the_contents_sha256(emulator, tmp_path):
    source = dataset(tmp_path)

    with emulator_client(emulator) as client:
        uri = stage(client, source, "gs://ml-staging/tuning/")

    digest = staging.file_sha256(source)
    assert uri == f"gs://ml-staging/tuning/{digest}.jsonl"
    stored = emulator.data_dir / "ml-staging" / "tuning" / f"{digest}.jsonl"
    assert stored.read_bytes() == source.read_bytes()


def test_an_object_already_there_is_not_uploaded_again(emulator, tmp_path):
    source = dataset(tmp_path)
    with emulator_client(emulator) as client:
        first = stage(client, source, "gs://ml-staging/tuning")

        moved = source.rename(tmp_path / "renamed.jsonl")
        os.utime(moved, (1_000_000_000, 1_000_000_000))
        again = stage(client, moved, "gs://ml-staging/tuning")

    assert again == first
    assert emulator.admin.request_count("storage.objects.insert") == 1
    assert emulator.admin.request_count("storage.objects.get") == 2


def test_a_content_change_is_a_new_object(emulator, tmp_path):
    source = dataset(tmp_path, n=5)
    with emulator_client(emulator) as client:
        first = stage(client, source, "gs://ml-staging/tuning")

        source.write_text(sample_dataset(6))
        second = stage(client, source, "gs://ml-staging/tuning")

    assert second != first
    assert emulator.admin.request_count("storage.objects.insert") == 2


def test_a_staged_dataset_tunes_in_the_emulator(emulator, tmp_path):
    with emulator_client(emulator) as client:
        uri = stage(client, dataset(tmp_path, n=8), "gs://ml-staging/x")

    job = emulator.create_job(uri)
    done = emulator.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED")

    stats = done["tuningDataStats"]["supervisedTuningDataStats"]
    assert stats["tuningDatasetExampleCount"] == "8"


def test_the_emulator_answers_object_metadata_like_cloud_storage(emulator, tmp_path):
    source = dataset(tmp_path)
    with emulator_client(emulator) as client:
        uri = stage(client, source, "gs://ml-staging/a/b")
    name = uri.removeprefix("gs://ml-staging/")

    found = httpx.get(f"{emulator.base_url}/storage/v1/b/ml-staging/o/{name.replace('/', '%2F')}")
    missing = httpx.get(f"{emulator.base_url}/storage/v1/b/ml-staging/o/a%2Fnope.jsonl")

    assert found.status_code == 200
    assert found.json()["name"] == name and found.json()["bucket"] == "ml-staging"
    assert found.json()["size"] == str(source.stat().st_size)
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"


@pytest.mark.parametrize("name", ["../../escape.jsonl", "a/%2e%2e/%2e%2e/%2e%2e/escape.jsonl", "/abs.jsonl"])
def test_the_emulator_never_writes_outside_its_data_directory(emulator, name):
    response = httpx.post(
        f"{emulator.base_url}/upload/storage/v1/b/bucket/o",
        params={"uploadType": "media", "name": name},
        content=b"{}",
    )

    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert not (emulator.data_dir.parent / "escape.jsonl").exists()
    assert not list(emulator.data_dir.parent.glob("**/escape.jsonl"))


def test_the_emulator_takes_only_media_uploads_with_a_name(emulator):
    resumable = httpx.post(
        f"{emulator.base_url}/upload/storage/v1/b/bucket/o", params={"uploadType": "resumable", "name": "x"}
    )
    nameless = httpx.post(f"{emulator.base_url}/upload/storage/v1/b/bucket/o", params={"uploadType": "media"})

    assert resumable.status_code == 400 and "uploadType=media" in resumable.json()["error"]["message"]
    assert nameless.status_code == 400 and "name" in nameless.json()["error"]["message"]


@pytest.mark.parametrize(
    "uri",
    [
        "s3://bucket/prefix",
        "gs://",
        "gs://UPPER/prefix",
        "gs://b/prefix",  # a one-letter bucket is not a valid bucket name
        "gs://bucket/../prefix",
        "gs://bucket/a//b",
        "gs://bucket/pre\nfix",
        "gs://bucket/pr\u0435fix",  # a Cyrillic look-alike of 'e'
        "gs://evil.com%2F/x",
    ],
)
def test_bad_staging_uris_are_refused_with_a_clear_message(uri):
    with pytest.raises(StagingUriError, match="gs://"):
        StagingLocation.parse(uri)


def test_staging_locations_name_objects_by_content():
    with_prefix = StagingLocation.parse("gs://ml-staging/tuning/datasets/")
    bare = StagingLocation.parse("gs://ml-staging")

    assert with_prefix == StagingLocation("ml-staging", "tuning/datasets")
    assert with_prefix.uri_for("ab12") == "gs://ml-staging/tuning/datasets/ab12.jsonl"
    assert bare.uri_for("ab12") == "gs://ml-staging/ab12.jsonl"


def storage_client(recorder: Recorder, settings: Settings) -> VertexClient:
    return VertexClient(
        settings,
        transport=recorder.transport,
        credentials=FakeCredentials(),
        retry=RetryPolicy(max_attempts=3, budget=10),
        sleep=lambda _seconds: None,
    )


def api_error(code: int, status: str) -> httpx.Response:
    return httpx.Response(code, json={"error": {"code": code, "message": "said no", "status": status}})


def not_found() -> httpx.Response:
    return api_error(404, "NOT_FOUND")


def test_real_uploads_go_to_storage_googleapis_com_with_a_token(tmp_path):
    recorder = Recorder(not_found(), httpx.Response(200, json={"name": "x"}))
    source = dataset(tmp_path)

    with storage_client(recorder, Settings(project=PROJECT)) as client:
        uri = stage(client, source, "gs://ml-staging/t")

    get, upload = recorder.requests
    name = uri.removeprefix("gs://ml-staging/")
    assert get.method == "GET"
    escaped = name.replace("/", "%2F")
    assert str(get.url) == f"https://storage.googleapis.com/storage/v1/b/ml-staging/o/{escaped}"
    assert upload.method == "POST"
    assert upload.url.path == "/upload/storage/v1/b/ml-staging/o"
    assert dict(upload.url.params) == {"uploadType": "media", "name": name}
    assert upload.content == source.read_bytes()
    assert upload.headers["Content-Length"] == str(source.stat().st_size)
    assert all(request.headers["Authorization"] == f"Bearer {CANARY_TOKEN}" for request in recorder.requests)


def test_the_emulator_never_gets_a_token(tmp_path):
    recorder = Recorder(not_found(), httpx.Response(200, json={}))
    settings = Settings(project=PROJECT, transport=Transport(emulator_host="127.0.0.1:9"))

    with storage_client(recorder, settings) as client:
        stage(client, dataset(tmp_path), "gs://ml-staging/t")

    assert [request.url.host for request in recorder.requests] == ["127.0.0.1", "127.0.0.1"]
    assert all("Authorization" not in request.headers for request in recorder.requests)


def test_transient_failures_are_retried_and_4xx_are_not(tmp_path):
    unavailable = api_error(503, "UNAVAILABLE")
    flaky = Recorder(not_found(), unavailable, httpx.ConnectError("refused"), httpx.Response(200, json={}))
    denied = Recorder(api_error(403, "PERMISSION_DENIED"))
    settings = Settings(project=PROJECT)

    with storage_client(flaky, settings) as client:
        stage(client, dataset(tmp_path), "gs://ml-staging/t")
    with storage_client(denied, settings) as client, pytest.raises(PermissionDeniedError) as error:
        stage(client, dataset(tmp_path), "gs://ml-staging/t")

    assert [request.method for request in flaky.requests] == ["GET", "POST", "POST", "POST"]
    assert len(denied.requests) == 1
    assert "gs://ml-staging/t/" in str(error.value) and CANARY_TOKEN not in str(error.value)


def test_no_answer_at_all_is_a_transport_error(tmp_path):
    silent = Recorder(httpx.ConnectError("refused"))

    with storage_client(silent, Settings(project=PROJECT)) as client, pytest.raises(TransportError):
        client.object_exists(GcsObjectName("ml-staging", "x.jsonl"))

    assert len(silent.requests) == 3


def test_object_names_that_would_change_the_path_are_refused_before_any_request():
    recorder = Recorder(httpx.Response(200, json={}))

    for uri in (
        "gs://ml-staging/a/../b.jsonl",
        "gs://ml-staging/a\\b",
        "gs://Evil.com/x",
        "gs://ml-staging/",
    ):
        with pytest.raises(InvalidNameError):
            staging.upload_file(storage_client(recorder, Settings(project=PROJECT)), Path("unused"), uri)

    assert recorder.requests == []
