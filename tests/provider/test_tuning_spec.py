"""The input model: every input validated, every problem at once, unknowns passed, canonical form."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from vertex_tuning import spec, wire
from vertex_tuning.errors import InvalidSpecError

IDENTITY = {"pulumi_stack": "dev", "pulumi_project": "tuning", "resource_name": "support-bot"}
VALID: dict[str, Any] = {
    "project": "acme-ml",
    "location": "us-central1",
    "base_model": "gemini-3.1-flash-lite",
    "training_dataset_uri": "gs://acme-ml/support/train.jsonl",
    **IDENTITY,
}
KMS = "projects/acme-ml/locations/{}/keyRings/ring/cryptoKeys/key"


def problems_of(**changes: Any) -> dict[str, str]:
    found = spec.problems({**VALID, **changes})
    return dict(found)


def test_a_minimal_valid_job_has_no_problems() -> None:
    assert spec.problems(VALID) == []
    assert spec.parse(VALID).training_dataset_uri == VALID["training_dataset_uri"]


def test_every_input_at_full_is_accepted() -> None:
    full = {
        **VALID,
        "base_model": "translation-llm-002",  # the current model that takes a KMS key (CMEK)
        "validation_dataset_uri": "gs://acme-ml/support/validation.jsonl",
        "epoch_count": 4,
        "adapter_size": "ADAPTER_SIZE_FOUR",
        "learning_rate_multiplier": 0.5,
        "tuned_model_display_name": "support bot",
        "description": "Answers support questions.",
        "labels": {"team": "ml", "env": "prod"},
        "kms_key_name": KMS.format("us-central1"),
        "service_account": "tuner@acme-ml.iam.gserviceaccount.com",
        "export_last_checkpoint_only": True,
        "wait_timeout_minutes": 90,
        "triggers": {"dataset_version": 3},
        "api_version": "v1beta1",
    }
    assert spec.problems(full) == []
    parsed = spec.parse(full)
    assert parsed.adapter_size == 4
    assert parsed.wait_timeout_minutes == 90


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("project", "Bad_Project", "project"),
        ("location", "us-central1.evil.com/x", "location"),
        ("base_model", "gpt-4", "unknown base model"),
        ("pre_tuned_model_name", "models/1", "model name"),
        ("training_dataset_uri", "/tmp/train.jsonl", "Cloud Storage URI"),
        ("training_dataset_uri", "gs://b/a b.jsonl", "Cloud Storage URI"),
        ("validation_dataset_uri", "https://example.com/v.jsonl", "Cloud Storage URI"),
        ("epoch_count", 0, "at least 1"),
        ("epoch_count", 2.5, "whole number"),
        ("epoch_count", 101, "at most 100"),
        ("epoch_count", True, "whole number"),
        ("adapter_size", 3, "must be one of"),
        ("adapter_size", "HUGE", "must be one of"),
        ("adapter_size", 32, "not available for gemini-3.1-flash-lite"),
        ("learning_rate_multiplier", -1, "positive"),
        ("learning_rate_multiplier", "fast", "number"),
        ("tuned_model_display_name", "x" * 129, "at most 128"),
        ("tuned_model_display_name", " ", "empty"),
        ("description", 5, "string"),
        ("labels", {"Team": "ml"}, "lowercase"),
        ("labels", {"team": "ML"}, "lowercase"),
        ("labels", {"team": "x" * 64}, "at most 63"),
        ("labels", {spec.ID_LABEL: "x"}, "reserved"),
        ("labels", {f"k{i}": "v" for i in range(64)}, "at most 63 labels"),
        ("labels", ["team"], "map"),
        ("kms_key_name", "my-key", "Cloud KMS key"),
        ("kms_key_name", KMS.format("europe-west4"), "same region"),
        ("service_account", "tuner", "service account email"),
        ("export_last_checkpoint_only", "yes", "true or false"),
        ("wait_timeout_minutes", 0, "positive"),
        ("triggers", {"when": object()}, "JSON value"),
        ("api_version", "v2", "v1, v1beta1"),
        ("pulumi_stack", "", "empty"),
        ("colour", "blue", "not an input"),
    ],
)
def test_each_bad_input_is_reported_by_name(name: str, value: Any, reason: str) -> None:
    found = problems_of(**{name: value})
    assert name in found, found
    assert reason in found[name]


def test_every_problem_is_reported_at_once() -> None:
    found = problems_of(
        training_dataset_uri="train.jsonl",
        labels={"Bad": "x"},
        adapter_size=32,
        service_account="nobody",
        epoch_count=0,
    )
    assert set(found) == {"training_dataset_uri", "labels", "adapter_size", "service_account", "epoch_count"}


def test_model_rules_need_the_model() -> None:
    assert "location" in problems_of(base_model="gemini-3.5-flash", location="us-east1")
    assert "kms_key_name" in problems_of(
        base_model="gemini-3.5-flash", kms_key_name=KMS.format("us-central1")
    )
    assert "adapter_size" in problems_of(base_model="translation-llm-002", adapter_size=8)


def test_exactly_one_of_base_model_and_pre_tuned_model() -> None:
    tuned = "projects/123/locations/us-central1/models/456@1"
    assert "base_model" in problems_of(pre_tuned_model_name=tuned)
    assert "base_model" in dict(spec.problems({k: v for k, v in VALID.items() if k != "base_model"}))
    continuing = {k: v for k, v in VALID.items() if k != "base_model"}
    assert spec.problems({**continuing, "pre_tuned_model_name": tuned, "pre_tuned_checkpoint_id": 2.0}) == []
    assert "pre_tuned_checkpoint_id" in problems_of(pre_tuned_checkpoint_id="2")
    elsewhere = {**continuing, "pre_tuned_model_name": tuned.replace("us-central1", "europe-west4")}
    assert "pre_tuned_model_name" in dict(spec.problems(elsewhere))


def test_required_inputs_are_named() -> None:
    found = dict(spec.problems({"base_model": "gemini-3.1-flash-lite"}))
    assert {"training_dataset_uri", "pulumi_stack", "pulumi_project", "resource_name"} <= set(found)
    assert "TuningJob" in found["resource_name"]


def test_unknown_values_pass_through_unjudged() -> None:
    unknown = Unknown()
    props = {**VALID, "base_model": unknown, "labels": {"team": unknown}, "adapter_size": 32}
    assert spec.problems(props) == []  # adapter 32 cannot be judged without the model
    checked = spec.canonical_inputs(props)
    assert checked["base_model"] is unknown
    assert checked["labels"]["team"] is unknown
    with pytest.raises(InvalidSpecError, match="not known yet"):
        spec.parse(props)


def test_unknown_training_uri_counts_as_given() -> None:
    assert spec.problems({**VALID, "training_dataset_uri": Unknown()}) == []


def test_canonical_form() -> None:
    checked = spec.canonical_inputs(
        {
            **VALID,
            "base_model": "publishers/google/models/gemini-3.1-flash-lite",
            "adapter_size": "four",
            "epoch_count": 3.0,
            "labels": {"b": "2", "a": "1"},
            "triggers": {"v": 2.0, "list": [1.0, "x"]},
            "__provider": "blob",
        }
    )
    assert checked["base_model"] == "gemini-3.1-flash-lite"
    assert checked["adapter_size"] == 4
    assert checked["epoch_count"] == 3 and isinstance(checked["epoch_count"], int)
    assert list(checked["labels"]) == ["a", "b"]
    assert checked["triggers"] == {"list": [1, "x"], "v": 2}
    assert checked["wait_timeout_minutes"] == spec.DEFAULT_WAIT_TIMEOUT_MINUTES
    assert "__provider" not in checked


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"labels": {"a": "1", "b": "2"}}, {"labels": {"b": "2", "a": "1"}}),
        ({"epoch_count": 3}, {"epoch_count": 3.0}),
        ({"adapter_size": "FOUR"}, {"adapter_size": 4.0}),
        ({"adapter_size": "ADAPTER_SIZE_EIGHT"}, {"adapter_size": 8}),
        (
            {"base_model": "publishers/google/models/gemini-3.1-flash-lite"},
            {"base_model": "gemini-3.1-flash-lite"},
        ),
        ({"triggers": {"v": 1}}, {"triggers": {"v": 1.0}}),
        ({"pulumi_stack": "dev"}, {"pulumi_stack": "renamed"}),
        ({"resource_name": "a"}, {"resource_name": "b"}),
        ({}, {"wait_timeout_minutes": spec.DEFAULT_WAIT_TIMEOUT_MINUTES}),
    ],
)
def test_no_change(old: dict[str, Any], new: dict[str, Any]) -> None:
    assert spec.changed_inputs({**VALID, **old}, {**VALID, **new}) == ([], [])


@pytest.mark.parametrize(
    ("new", "replaces"),
    [
        ({"triggers": 2}, ["triggers"]),
        ({"epoch_count": 4}, ["epoch_count"]),
        ({"labels": {"a": "2"}}, ["labels"]),
        ({"base_model": "gemini-3.5-flash", "adapter_size": 4}, ["base_model", "adapter_size"]),
        ({"training_dataset_uri": Unknown()}, ["training_dataset_uri"]),
    ],
)
def test_real_changes_replace(new: dict[str, Any], replaces: list[str]) -> None:
    old = {**VALID, "labels": {"a": "1"}, "triggers": 1}
    assert spec.changed_inputs(old, {**old, **new}) == (replaces, [])


def test_a_new_wait_timeout_is_an_update_not_a_replacement() -> None:
    assert spec.changed_inputs(VALID, {**VALID, "wait_timeout_minutes": 30.0}) == (
        [],
        ["wait_timeout_minutes"],
    )


def test_identity_hash_covers_identity_job_and_triggers_only() -> None:
    base = spec.identity_hash(spec.parse(VALID))
    assert len(base) == 64
    same = {**VALID, "labels": {}, "wait_timeout_minutes": 5, "api_version": "v1beta1"}
    assert spec.identity_hash(spec.parse(same)) == base
    for change in [
        {"pulumi_stack": "prod"},
        {"pulumi_project": "other"},
        {"resource_name": "other-bot"},
        {"project": "other-project"},
        {"epoch_count": 2},
        {"triggers": "v2"},
    ]:
        assert spec.identity_hash(spec.parse({**VALID, **change})) != base, change


def test_to_wire_carries_the_job_and_the_identity_label() -> None:
    parsed = spec.parse({**VALID, "adapter_size": 16, "epoch_count": 2, "labels": {"team": "ml"}})
    body = spec.to_wire(parsed).to_json_dict()
    assert body["baseModel"] == "gemini-3.1-flash-lite"
    assert body["supervisedTuningSpec"]["hyperParameters"] == {
        "epochCount": "2",
        "adapterSize": "ADAPTER_SIZE_SIXTEEN",
    }
    assert body["labels"] == {"team": "ml", spec.ID_LABEL: spec.identity_label(parsed)}
    assert len(spec.identity_label(parsed)) == spec.ID_LABEL_HEX_CHARS
    wire.TuningJob.model_validate(body)


def test_parse_names_every_problem() -> None:
    with pytest.raises(InvalidSpecError) as caught:
        spec.parse({**VALID, "epoch_count": 0, "labels": {"A": "b"}})
    assert {name for name, _ in caught.value.problems} == {"epoch_count", "labels"}
    assert "epoch_count" in str(caught.value)


def test_a_local_training_file_stands_in_for_the_uri_until_check_plans_it() -> None:
    local = {k: v for k, v in VALID.items() if k != "training_dataset_uri"}
    assert spec.problems({**local, "training_dataset": "data/train.jsonl"}) == []
    assert "training_dataset_uri" in dict(spec.problems(local))
    with pytest.raises(InvalidSpecError, match="training_dataset: has no staged URI"):
        spec.parse({**local, "training_dataset": "data/train.jsonl"})


def test_where_a_dataset_file_lives_is_never_a_change() -> None:
    old = {**VALID, "training_dataset": "data/train.jsonl", "staging_uri": "gs://s/a"}
    new = {**VALID, "training_dataset": "moved/train.jsonl", "staging_uri": "gs://s/a"}
    assert spec.changed_inputs(old, new) == ([], [])
    assert spec.identity_hash(spec.parse(old)) == spec.identity_hash(spec.parse(new))
