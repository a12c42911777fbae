"""The quickstart program (Pulumi.yaml's `main`) under Pulumi's mocks, and the stacks wired to it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from support.pulumi_program import resolve, run_program

REPO = Path(__file__).parents[2]
PROJECT = yaml.safe_load((REPO / "Pulumi.yaml").read_text())


def test_pulumi_yaml_runs_the_quickstart_in_the_projects_virtualenv():
    assert PROJECT["main"].rstrip("/") == "quickstart"
    assert PROJECT["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    assert (REPO / PROJECT["main"] / "__main__.py").is_file()


def test_the_quickstart_tunes_the_seeded_dataset_and_exports_the_endpoint():
    run = run_program(REPO / "quickstart" / "__main__.py", project=PROJECT["name"], stack="dev")

    job = run.mocks.tuning_jobs["support-bot"]
    assert job["base_model"] == "gemini-3.1-flash-lite"
    assert job["training_dataset_uri"] == run.namespace["DEFAULT_DATASET_URI"]
    assert job["pulumi_project"] == PROJECT["name"] and job["pulumi_stack"] == "dev"
    assert resolve(run.exports["endpoint"]) == resolve(run.namespace["job"].tuned_model_endpoint_name)
    assert resolve(run.exports["job"]).startswith("projects/")


def test_the_dataset_uri_can_come_from_stack_config():
    run = run_program(
        REPO / "quickstart" / "__main__.py",
        project=PROJECT["name"],
        stack="dev",
        config={f"{PROJECT['name']}:trainingDatasetUri": "gs://my-bucket/support/train.jsonl"},
    )

    assert (
        run.mocks.tuning_jobs["support-bot"]["training_dataset_uri"] == "gs://my-bucket/support/train.jsonl"
    )


def test_make_up_seeds_the_uri_the_quickstart_tunes_from():
    spec = importlib.util.spec_from_file_location("up_script", REPO / "scripts" / "up.py")
    assert spec is not None and spec.loader is not None
    up = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(up)
    run = run_program(REPO / "quickstart" / "__main__.py", project=PROJECT["name"], stack=up.STACK)

    assert run.mocks.tuning_jobs["support-bot"]["training_dataset_uri"] == up.DATASET_URI


def test_the_serving_example_consumes_the_quickstart_through_a_stack_reference():
    serving = yaml.safe_load((REPO / "examples" / "serving" / "Pulumi.quickstart.yaml").read_text())
    stack = serving["config"]["tuning-serving:tuningStack"]
    endpoint = "projects/1/locations/us-central1/endpoints/9"

    run = run_program(
        REPO / "examples" / "serving" / "__main__.py",
        project="tuning-serving",
        stack="quickstart",
        config={"tuning-serving:tuningStack": stack},
        stack_outputs={stack: {"endpoint": endpoint}},
    )

    assert stack == f"organization/{PROJECT['name']}/dev"
    assert resolve(run.exports["endpoint"]) == endpoint
