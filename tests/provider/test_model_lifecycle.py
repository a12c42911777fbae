"""Models have lifecycles (design decision 11): check refuses a retired model naming its
successor, warns ahead of a retirement, and refresh says when a tuned endpoint stopped serving."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from vertex_tuning import catalogue, provider, settings, spec, wire
from vertex_tuning.names import TuningJobName

TODAY = dt.date(2026, 12, 1)
REPO = Path(__file__).resolve().parents[2]
PROGRAM: dict[str, Any] = {
    "project": "acme-ml",
    "location": "us-central1",
    "training_dataset_uri": "gs://acme-ml/train.jsonl",
    "pulumi_stack": "dev",
    "pulumi_project": "tuning",
    "resource_name": "bot",
}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue, "today", lambda: TODAY)
    for name in (*settings.PROJECT_ENV, *settings.LOCATION_ENV, settings.EMULATOR_ENV):
        monkeypatch.delenv(name, raising=False)


def check(model: str, **props: Any) -> Any:
    checker = provider.TuningJobProvider()
    checker.configure(ConfigureRequest(Config({}, "tuning")))
    return checker.check({}, {**PROGRAM, "base_model": model, **props})


@pytest.mark.parametrize(
    ("model", "retired", "successor"),
    [
        ("gemini-2.5-flash", "2026-10-20", "gemini-3.1-flash-lite"),
        ("gemini-2.5-flash-lite", "2026-10-20", "gemini-3.1-flash-lite"),
        ("gemini-2.5-pro", "2026-10-20", "gemini-3.5-flash"),
        ("gemini-2.0-flash-001", "2026-06-01", "gemini-3.1-flash-lite"),
        ("gemini-1.5-pro-002", "2025-09-24", "gemini-3.5-flash"),
        ("gemini-1.0-pro-002", "2025-04-21", "gemini-3.5-flash"),
    ],
)
def test_check_refuses_a_retired_model_naming_the_date_and_the_successor(
    model: str, retired: str, successor: str
) -> None:
    result = check(model)
    assert [(failure.property, failure.reason) for failure in result.failures] == [
        ("base_model", f"{model} was retired on {retired}; use {successor}")
    ]


def test_the_long_form_of_a_retired_model_is_refused_too() -> None:
    reasons = [failure.reason for failure in check("publishers/google/models/gemini-2.5-flash").failures]
    assert reasons == ["gemini-2.5-flash was retired on 2026-10-20; use gemini-3.1-flash-lite"]


@pytest.mark.parametrize("model", ["gemini-3.5-flash", "gemini-3.1-flash-lite", "translation-llm-002"])
def test_the_models_tuned_today_pass_check(model: str) -> None:
    assert check(model).failures == []


def test_gemini_3_5_flash_lite_is_refused_until_the_tuning_page_lists_it() -> None:
    """Listed in the API reference but not on the supervised-tuning page: our choice is to refuse."""
    reasons = [failure.reason for failure in check("gemini-3.5-flash-lite").failures]
    assert len(reasons) == 1 and "not as a model for supervised tuning" in reasons[0]
    assert "use gemini-3.1-flash-lite" in reasons[0]


def test_check_warns_within_90_days_of_a_retirement_without_failing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(catalogue, "today", lambda: dt.date(2027, 2, 20))  # 3.1 Flash-Lite: 2027-05-07
    assert check("gemini-3.1-flash-lite").failures == []
    warning = capsys.readouterr().err
    assert "warning: base_model: gemini-3.1-flash-lite retires on 2027-05-07 (in 76 days)" in warning
    monkeypatch.setattr(catalogue, "today", lambda: dt.date(2027, 2, 1))  # 95 days ahead: quiet
    check("gemini-3.1-flash-lite")
    assert capsys.readouterr().err == ""


def test_lifecycle_states_follow_the_injected_day() -> None:
    flash = catalogue.BASE_MODELS["gemini-3.5-flash"]
    assert flash.lifecycle(dt.date(2026, 1, 1)) is catalogue.Lifecycle.UNRELEASED
    assert flash.lifecycle(TODAY) is catalogue.Lifecycle.CURRENT
    assert flash.lifecycle(dt.date(2027, 3, 1)) is catalogue.Lifecycle.RETIRING
    assert flash.lifecycle(dt.date(2027, 5, 19)) is catalogue.Lifecycle.RETIRED
    assert catalogue.current_model_ids(TODAY) == [
        "gemini-3.5-flash",
        "gemini-3.1-flash-lite",
        "translation-llm-002",
    ]
    seed_day = dt.date(2024, 11, 1)
    assert {"gemini-1.5-pro-002", "gemini-1.5-flash-002", "gemini-1.0-pro-002"} <= set(
        catalogue.current_model_ids(seed_day)
    )


def test_spec_takes_today_as_an_argument_too() -> None:
    props = {**PROGRAM, "base_model": "gemini-2.5-flash"}
    assert spec.problems(props, today=dt.date(2026, 1, 5)) == []
    assert dict(spec.problems(props, today=TODAY))["base_model"].startswith("gemini-2.5-flash was retired")


def test_a_retired_model_keeps_its_canonical_form_for_diff() -> None:
    """Retirement is a check failure, never a change: an existing stack does not plan a retune."""
    olds = {**PROGRAM, "base_model": "gemini-2.5-flash"}
    news = {**PROGRAM, "base_model": "publishers/google/models/gemini-2.5-flash"}
    assert spec.changed_inputs(olds, news) == ([], [])


def test_catalogue_limits_are_the_reference_tables() -> None:
    """gemini-3.x: adapter 1-16, 131,072 tokens, us-central1/europe-west4, no CMEK, served on us/eu;
    translation-llm-002: adapter 4, 1,000 tokens, us-central1 only, text only."""
    for model_id in ("gemini-3.5-flash", "gemini-3.1-flash-lite"):
        model = catalogue.BASE_MODELS[model_id]
        assert model.adapter_sizes == (1, 2, 4, 8, 16) and model.max_tokens_per_example == 131_072
        assert model.regions == {"us-central1", "europe-west4"} and not model.cmek
        assert (model.serving_location("us-central1"), model.serving_location("europe-west4")) == ("us", "eu")
    translation = catalogue.BASE_MODELS["translation-llm-002"]
    assert translation.adapter_sizes == (4,) and translation.regions == {"us-central1"}
    assert translation.max_tokens_per_example == 1_000 and not translation.multimodal
    assert catalogue.BASE_MODELS[catalogue.DEFAULT_MODEL].tunable(TODAY)


class _RetiredBaseJobClient:
    """Answers a refresh with a job that succeeded on gemini-2.5-flash."""

    def get_tuning_job(self, name: TuningJobName) -> wire.TuningJob:
        return wire.TuningJob(
            name=str(name),
            base_model="gemini-2.5-flash",
            state=wire.JobState.SUCCEEDED,
            tuned_model=wire.TunedModel(
                model="projects/1/locations/us-central1/models/7@1",
                endpoint="projects/1/locations/us-central1/endpoints/8",
            ),
        )

    def read_metrics(self, job: wire.TuningJob) -> dict[str, Any]:
        return {}


def test_refresh_says_a_tuned_endpoint_stopped_serving_with_its_base_model(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(provider, "_client", lambda resolved: _RetiredBaseJobClient())
    job = "projects/1/locations/us-central1/tuningJobs/42"
    result = provider.TuningJobProvider().read(job, {**PROGRAM, "base_model": "gemini-2.5-flash"})
    assert result.id == job and result.outs["state"] == "JOB_STATE_SUCCEEDED"
    said = capsys.readouterr().err
    assert f"{job}: its base model gemini-2.5-flash was retired on 2026-10-20" in said
    assert "tuned endpoint no longer serves" in said and "gemini-3.1-flash-lite" in said


RETIRED = re.compile(r"gemini-(1\.0|1\.5|2\.0|2\.5)-[a-z0-9-]+")
USER_FACING = ("README.md", "quickstart", "examples", "docs", "scripts")


def test_every_example_and_readme_line_names_a_model_tuned_today() -> None:
    """Defaults, examples and docs use current models; retired names appear only where retirement
    itself is the subject (the README's model table)."""
    offending = []
    for root in USER_FACING:
        base = REPO / root
        for path in [base] if base.is_file() else sorted(base.rglob("*")):
            if path.suffix not in (".py", ".md", ".yaml") or not path.is_file():
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if RETIRED.search(line) and "retire" not in line.lower():
                    offending.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offending == []
