"""Every example in examples/ through the real engine against the emulator, seeded as the README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pulumi import automation as auto

from support.engine import REPO, Engine
from vertex_tuning.wire import JobState

EXAMPLES = REPO / "examples"
SUCCEEDED = JobState.SUCCEEDED.value
# The README's seeding loop: what each example's stack files read.
SEEDED = ("sample-train", "full-train", "validation", "2026-10/train", "2026-11/train")


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    dataset = REPO / "quickstart" / "data" / "train.jsonl"
    for name in SEEDED:
        command = [sys.executable, "-m", "vertex_tuning.cli", "dataset", "upload", str(dataset)]
        command.append(f"gs://acme-ml/support/{name}.jsonl")
        finished = subprocess.run(command, env=engine.env, capture_output=True, text=True, check=False)
        assert finished.returncode == 0, finished.stderr
    return engine


def test_promotion_tunes_prod_only_past_devs_gate_and_serving_reads_prods_endpoint(seeded: Engine) -> None:
    dev = seeded.project_stack(EXAMPLES / "promotion", "dev")
    dev.up()
    accuracy = dev.outputs()["evalAccuracy"]
    assert isinstance(accuracy, float) and 0 < accuracy <= 1

    too_high = {"tuning-promotion:minEvalAccuracy": str(min(accuracy + 0.01, 1.01))}
    blocked = seeded.project_stack(EXAMPLES / "promotion", "prod", config=too_high)
    with pytest.raises(auto.CommandError, match="below minEvalAccuracy"):
        blocked.up()
    assert seeded.jobs_held() == 1, "a failing gate bills nothing"

    prod = seeded.project_stack(
        EXAMPLES / "promotion", "prod", config={"tuning-promotion:minEvalAccuracy": "0"}
    )
    prod.up()
    assert seeded.jobs_by_state() == {SUCCEEDED: 2}

    serving = seeded.project_stack(EXAMPLES / "serving", "prod")
    serving.up()
    served = serving.outputs()
    assert served["endpoint"] == prod.outputs()["endpoint"] != dev.outputs()["endpoint"]
    assert served["generateContentUrl"].endswith(f"/v1/{served['endpoint']}:generateContent")


def test_continuous_tuning_previews_with_an_unknown_input_then_tunes_from_the_base_model(
    seeded: Engine,
) -> None:
    stack = seeded.project_stack(EXAMPLES / "continuous-tuning", "dev")

    preview = stack.preview()  # the update's pre_tuned_model_name is the base's output: unknown here
    assert preview.summary.get("create") == 3
    assert seeded.jobs_held() == 0

    stack.up()
    outputs = stack.outputs()
    assert outputs["updatedModel"] != outputs["baseModel"]
    assert seeded.jobs_by_state() == {SUCCEEDED: 2}
    update = next(r for r in stack.tuning_jobs_in_state() if r["urn"].endswith("::support-update"))
    assert update["outputs"]["pre_tuned_model_name"] == outputs["baseModel"]


def test_gitops_stages_the_repositorys_files_by_content_and_tunes_from_them(engine: Engine) -> None:
    stack = engine.project_stack(EXAMPLES / "gitops", "dev")

    stack.up()

    [job] = stack.tuning_jobs_in_state()
    staged = job["outputs"]["training_dataset_uri"]
    assert staged.startswith("gs://acme-ml-staging/tuning-datasets/") and staged.endswith(".jsonl")
    assert engine.jobs_by_state() == {SUCCEEDED: 1}
    assert stack.up().summary.get("same") == 2, "a second run changes nothing"
    assert Path(engine.emulator.data_dir, staged.removeprefix("gs://")).is_file()
