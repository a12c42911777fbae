"""What check (and so `pulumi preview`) tells before money is spent: the estimated billable
training tokens and price of a local dataset, and a project that only ADC could name."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from support.emulator import sample_dataset
from vertex_tuning import catalogue, datasets, pricing, settings, wire
from vertex_tuning.outputs import job_outputs
from vertex_tuning.provider import TuningJobProvider

IDENTITY = {"pulumi_stack": "dev", "pulumi_project": "tuning", "resource_name": "bot"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*settings.PROJECT_ENV, *settings.LOCATION_ENV, settings.EMULATOR_ENV):
        monkeypatch.delenv(name, raising=False)


def configured(config: dict[str, str]) -> TuningJobProvider:
    provider = TuningJobProvider()
    provider.configure(ConfigureRequest(Config(config, "tuning")))
    return provider


def local_program(tmp_path: Path, **extra: object) -> dict[str, object]:
    dataset = tmp_path / "train.jsonl"
    dataset.write_text(sample_dataset(20))
    return {"base_model": "gemini-3.1-flash-lite", "training_dataset": str(dataset), **IDENTITY, **extra}


def tokens_of(program: dict[str, object]) -> int:
    model = catalogue.find_base_model("gemini-3.1-flash-lite")
    assert model is not None
    return datasets.validate_dataset_file(
        Path(str(program["training_dataset"])), model, "training"
    ).total_tokens


def test_check_prints_the_estimated_tokens_and_price_of_a_local_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = local_program(tmp_path, epoch_count=4)
    # No tuning price is published for today's models: the stack config prices the estimate.
    config = {
        "gcp:project": "acme-ml",
        "vertex-tuning:stagingUri": "gs://acme-staging/data",
        pricing.PRICE_CONFIG: "5",
    }

    result = configured(config).check({}, program)

    err = capsys.readouterr().err
    assert result.failures == []
    tokens = tokens_of(program) * 4
    assert f"estimate: about {tokens:,} billable training tokens" in err
    assert f"x 4 epochs) for gemini-3.1-flash-lite, about ${tokens / 1e6 * 5:,.2f} at $5 per 1M tokens" in err
    assert pricing.PRICE_CONFIG in err and "an estimate, not a quote" in err


def test_without_epochs_the_estimate_says_it_assumed_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = local_program(tmp_path)
    config = {
        "gcp:project": "acme-ml",
        "vertex-tuning:stagingUri": "gs://acme-staging/data",
        pricing.PRICE_CONFIG: "2.5",
    }

    configured(config).check({}, program)

    err = capsys.readouterr().err
    assert "3 epochs (the service picks the default from the dataset size; assumed)" in err
    assert f"at $2.5 per 1M tokens (from {pricing.PRICE_CONFIG})" in err


def test_a_model_without_a_known_price_says_so_instead_of_guessing() -> None:
    model = catalogue.find_base_model("gemini-3.5-flash")
    assert model is not None

    line = pricing.estimate(model, 1000, epochs=2).line()

    assert "about 2,000 billable training tokens" in line
    assert "no tuning price is known for this model" in line and "$" not in line


def test_a_check_without_a_project_warns_naming_where_it_looked(capsys: pytest.CaptureFixture[str]) -> None:
    program = {
        "base_model": "gemini-3.1-flash-lite",
        "training_dataset_uri": "gs://acme-ml/train.jsonl",
        **IDENTITY,
    }

    configured({}).check({}, program)

    err = capsys.readouterr().err
    assert "warning: no project is set" in err
    for place in ("vertex-tuning:project", "gcp:project", "GOOGLE_PROJECT", "GOOGLE_CLOUD_PROJECT"):
        assert place in err
    assert "estimate" not in err  # a gs:// dataset is not read without network


def test_the_outputs_carry_the_billable_tokens_the_service_counted() -> None:
    job = wire.TuningJob.model_validate(
        {
            "name": "projects/1/locations/us-central1/tuningJobs/2",
            "state": "JOB_STATE_SUCCEEDED",
            "tuningDataStats": {"supervisedTuningDataStats": {"totalBillableTokenCount": "12345"}},
        }
    )

    assert job_outputs(job)["estimated_training_tokens"] == 12345
