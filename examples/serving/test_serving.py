"""The serving example under Pulumi's mocks: it consumes a tuning stack's endpoint via StackReference."""

from pathlib import Path

import pytest

from support.pulumi_program import resolve, run_program

PROGRAM = Path(__file__).with_name("__main__.py")
PROD_STACK = "organization/tuning-promotion/prod"
ENDPOINT = "projects/123456789012/locations/europe-west4/endpoints/4455"
MODEL = "projects/123456789012/locations/europe-west4/models/77@2"


def run_serving(outputs):
    return run_program(
        PROGRAM,
        project="tuning-serving",
        stack="prod",
        config={"tuning-serving:tuningStack": PROD_STACK},
        stack_outputs={PROD_STACK: outputs},
    )


def test_reads_the_endpoint_of_the_configured_stack():
    run = run_serving({"endpoint": ENDPOINT, "model": MODEL, "baseModel": "translation-llm-002"})

    assert resolve(run.exports["endpoint"]) == ENDPOINT
    assert resolve(run.exports["model"]) == MODEL
    assert resolve(run.exports["generateContentUrl"]) == (
        f"https://europe-west4-aiplatform.googleapis.com/v1/{ENDPOINT}:generateContent"
    )


def test_a_gemini_3_tuned_model_is_served_on_its_multi_region_host():
    """Gemini 3.x tuned models are served only on the us / eu multi-region hosts."""
    run = run_serving({"endpoint": ENDPOINT, "model": MODEL, "baseModel": "gemini-3.1-flash-lite"})

    assert resolve(run.exports["generateContentUrl"]) == (
        f"https://aiplatform.eu.rep.googleapis.com/v1/{ENDPOINT}:generateContent"
    )
    assert run.mocks.stack_references == [PROD_STACK]
    assert run.mocks.tuning_jobs == {}


def test_fails_when_the_tuning_stack_exports_no_endpoint():
    with pytest.raises(Exception, match="endpoint"):
        run_serving({"model": MODEL})
