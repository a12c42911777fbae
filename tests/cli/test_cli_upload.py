"""`vertex-tuning dataset upload`: a local dataset into Cloud Storage (here, the emulator's)."""

from __future__ import annotations

from support.emulator import sample_dataset


def test_upload_puts_the_file_where_a_job_can_tune_from_it(cli, emulator, tmp_path):
    dataset = tmp_path / "train.jsonl"
    dataset.write_text(sample_dataset(5))

    result = cli("dataset", "upload", str(dataset), "gs://acme-ml/support/train.jsonl")
    job = emulator.create_job("gs://acme-ml/support/train.jsonl")

    assert result.exit_code == 0, result.output
    assert (emulator.data_dir / "acme-ml" / "support" / "train.jsonl").read_bytes() == dataset.read_bytes()
    assert emulator.wait_for_state(job["name"], "JOB_STATE_SUCCEEDED")["state"] == "JOB_STATE_SUCCEEDED"


def test_upload_refuses_bad_uris_and_missing_files(cli, emulator, tmp_path):
    dataset = tmp_path / "train.jsonl"
    dataset.write_text(sample_dataset(1))

    not_gcs = cli("dataset", "upload", str(dataset), "s3://acme-ml/train.jsonl")
    no_object = cli("dataset", "upload", str(dataset), "gs://acme-ml")
    escaping = cli("dataset", "upload", str(dataset), "gs://acme-ml/../../etc/x.jsonl")
    missing = cli("dataset", "upload", str(tmp_path / "nope.jsonl"), "gs://acme-ml/x.jsonl")

    for result in (not_gcs, no_object, escaping, missing):
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
    assert "gs://" in not_gcs.stderr and "not a readable file" in missing.stderr
    assert emulator.admin.request_count("storage.objects.insert") == 0
