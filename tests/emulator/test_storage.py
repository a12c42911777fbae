"""gs:// URIs map under the data directory and never escape it."""

from __future__ import annotations

import pytest

from vertex_tuning.emulator.storage import DataDir, StorageError


def test_a_uri_maps_to_bucket_and_path(tmp_path):
    data = DataDir(tmp_path)
    assert data.resolve("gs://bucket/a/b.jsonl") == tmp_path.resolve() / "bucket" / "a" / "b.jsonl"
    written = data.write_text("gs://bucket/new/dir/x.jsonl", "{}\n")
    assert written.read_text() == "{}\n"


@pytest.mark.parametrize(
    "uri",
    [
        "gs://b/../../etc/passwd",
        "gs://b/%2e%2e/%2E%2E/etc/passwd",
        "gs://../etc/passwd",
        "gs:///etc/passwd",
        "gs://b//etc/passwd",
        "gs://b/./x",
        "gs://b/a\\..\\..\\x",
        "gs://b/x%00y",
        "gs://bucket",
        "gs://bucket/",
        "/etc/passwd",
        "file:///etc/passwd",
        "s3://bucket/x",
    ],
)
def test_escapes_and_non_gcs_uris_are_refused(tmp_path, uri):
    with pytest.raises(StorageError):
        DataDir(tmp_path / "data").resolve(uri)


def test_a_symlink_out_of_the_data_directory_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.jsonl").write_text("secret")
    data_root = tmp_path / "data"
    (data_root / "bucket").mkdir(parents=True)
    (data_root / "bucket" / "link").symlink_to(outside)
    with pytest.raises(StorageError, match="outside"):
        DataDir(data_root).resolve("gs://bucket/link/secret.jsonl")
