"""The gitops example: its dataset files pass the provider's check, and the program passes them on."""

from __future__ import annotations

from pathlib import Path

import yaml
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from support.pulumi_program import resolve, run_program
from vertex_tuning import staging
from vertex_tuning.provider import TuningJobProvider

HERE = Path(__file__).parent
STACK_CONFIG = yaml.safe_load((HERE / "Pulumi.dev.yaml").read_text())["config"]


def test_the_program_gives_the_local_files_to_the_tuning_job():
    run = run_program(HERE / "__main__.py", project="tuning-gitops", stack="dev", config=STACK_CONFIG)

    job = run.mocks.tuning_jobs["support-bot"]
    assert job["training_dataset"] == "data/train.jsonl"
    assert job["validation_dataset"] == "data/validation.jsonl"
    assert job.get("training_dataset_uri") is None
    assert resolve(run.exports["endpoint"]) == resolve(run.namespace["job"].tuned_model_endpoint_name)


def test_the_repositorys_datasets_pass_check_and_are_named_by_content(monkeypatch):
    monkeypatch.chdir(HERE)  # Pulumi runs the provider in the project directory
    provider = TuningJobProvider()
    provider.configure(ConfigureRequest(Config({**STACK_CONFIG, "gcp:project": "acme-ml"}, "tuning-gitops")))
    news = {
        "base_model": "gemini-3.1-flash-lite",
        "training_dataset": "data/train.jsonl",
        "validation_dataset": "data/validation.jsonl",
        "pulumi_stack": "dev",
        "pulumi_project": "tuning-gitops",
        "resource_name": "support-bot",
    }

    result = provider.check({}, news)

    assert result.failures == []
    staging_uri = STACK_CONFIG["vertex-tuning:stagingUri"]
    for name in ("train", "validation"):
        digest = staging.file_sha256(HERE / "data" / f"{name}.jsonl")
        key = "training_dataset_uri" if name == "train" else "validation_dataset_uri"
        assert result.inputs[key] == f"{staging_uri}/{digest}.jsonl"
