"""The promotion example under Pulumi's mocks: dev tunes on the sample; prod is gated on dev's metrics."""

from pathlib import Path

import pytest

from support.pulumi_program import RecordingMocks, resolve, run_program

PROGRAM = Path(__file__).with_name("__main__.py")
DEV_STACK = "organization/tuning-promotion/dev"
DEV_CONFIG = {
    "tuning-promotion:trainingDatasetUri": "gs://acme-ml/support/sample-train.jsonl",
    "tuning-promotion:validationDatasetUri": "gs://acme-ml/support/validation.jsonl",
    "tuning-promotion:epochCount": "2",
}
PROD_CONFIG = {
    "tuning-promotion:trainingDatasetUri": "gs://acme-ml/support/full-train.jsonl",
    "tuning-promotion:validationDatasetUri": "gs://acme-ml/support/validation.jsonl",
    "tuning-promotion:promoteFrom": DEV_STACK,
    "tuning-promotion:minEvalAccuracy": "0.75",
}


def run_prod(dev_accuracy: float | None, recorder: RecordingMocks | None = None):
    dev_outputs = {"endpoint": "projects/1/locations/us-central1/endpoints/7", "evalAccuracy": dev_accuracy}
    recorder = recorder or RecordingMocks()
    recorder.stack_outputs = {DEV_STACK: dev_outputs}
    return run_program(
        PROGRAM, project="tuning-promotion", stack="prod", config=PROD_CONFIG, recorder=recorder
    )


def test_dev_tunes_on_the_sample_and_exports_its_evaluation():
    run = run_program(PROGRAM, project="tuning-promotion", stack="dev", config=DEV_CONFIG)

    assert resolve(run.exports["evalAccuracy"]) == pytest.approx(0.78)
    job = run.mocks.tuning_jobs["support-bot"]
    assert job["training_dataset_uri"] == "gs://acme-ml/support/sample-train.jsonl"
    assert job["validation_dataset_uri"] == "gs://acme-ml/support/validation.jsonl"
    assert job["epoch_count"] == 2
    assert job["labels"] == {"stage": "dev"}
    assert job["pulumi_stack"] == "dev"
    assert run.mocks.stack_references == []
    assert resolve(run.exports["endpoint"]) == resolve(run.namespace["job"].tuned_model_endpoint_name)


def test_prod_tunes_on_the_full_dataset_when_dev_passed():
    run = run_prod(dev_accuracy=0.8)

    endpoint = resolve(run.exports["endpoint"])
    assert run.mocks.stack_references == [DEV_STACK]
    job = run.mocks.tuning_jobs["support-bot"]
    assert job["training_dataset_uri"] == "gs://acme-ml/support/full-train.jsonl"
    assert job["labels"] == {"stage": "prod"}
    assert job["tuned_model_display_name"] == "support-bot-prod"
    assert endpoint.startswith("projects/") and "/endpoints/" in endpoint


@pytest.mark.parametrize("dev_accuracy", [0.5, None])
def test_prod_creates_no_job_when_dev_did_not_pass(dev_accuracy):
    recorder = RecordingMocks()

    with pytest.raises(Exception, match=r"evalAccuracy|minEvalAccuracy"):
        run_prod(dev_accuracy=dev_accuracy, recorder=recorder)

    assert recorder.stack_references == [DEV_STACK]
    assert recorder.tuning_jobs == {}
