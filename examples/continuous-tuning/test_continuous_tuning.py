"""The continuous-tuning example under Pulumi's mocks: the update tunes from the base job's model."""

from pathlib import Path

from support.pulumi_program import resolve, run_program

PROGRAM = Path(__file__).with_name("__main__.py")
CONFIG = {
    "continuous-tuning:baseDatasetUri": "gs://acme-ml/support/2026-10/train.jsonl",
    "continuous-tuning:updateDatasetUri": "gs://acme-ml/support/2026-11/train.jsonl",
}


def test_update_starts_from_the_base_jobs_tuned_model():
    run = run_program(PROGRAM, project="continuous-tuning", stack="dev", config=CONFIG)

    base_model = resolve(run.namespace["base"].tuned_model_name)
    assert resolve(run.exports["updatedModel"]) == resolve(run.namespace["update"].tuned_model_name)
    jobs = run.mocks.tuning_jobs
    assert jobs["support-base"]["base_model"] == "gemini-3.1-flash-lite"
    assert jobs["support-base"]["training_dataset_uri"] == CONFIG["continuous-tuning:baseDatasetUri"]
    assert jobs["support-update"]["pre_tuned_model_name"] == base_model
    assert jobs["support-update"].get("base_model") is None
    assert jobs["support-update"]["training_dataset_uri"] == CONFIG["continuous-tuning:updateDatasetUri"]
    assert resolve(run.exports["endpoint"]) == resolve(run.namespace["update"].tuned_model_endpoint_name)
