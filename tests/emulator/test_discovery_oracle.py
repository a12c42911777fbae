"""The oracle itself: the discovery-document check must catch what it claims to catch."""

from __future__ import annotations

import pytest

from support.discovery import assert_error_envelope, assert_matches_schema, schema_name, schema_problems

VALID_JOB = {
    "name": "projects/1/locations/us-central1/tuningJobs/2",
    "state": "JOB_STATE_RUNNING",
    "createTime": "2026-11-29T17:00:00.123456Z",
    "labels": {"team": "ml"},
    "supervisedTuningSpec": {"hyperParameters": {"epochCount": "3", "adapterSize": "ADAPTER_SIZE_FOUR"}},
    "tunedModel": {"checkpoints": [{"checkpointId": "1", "epoch": "1", "step": "4"}]},
    "error": {"code": 1, "message": "CANCELLED", "details": [{"@type": "x", "any": {"thing": [1]}}]},
}


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_a_valid_job_passes(version):
    assert_matches_schema(VALID_JOB, "TuningJob", version=version)


@pytest.mark.parametrize(
    ("patch", "problem"),
    [
        ({"surprise": 1}, "unknown field 'surprise'"),
        ({"state": "RUNNING"}, "is not one of"),
        ({"createTime": "2026-11-29 17:00:00"}, "RFC 3339"),
        ({"createTime": "2026-02-30T00:00:00Z"}, "not a valid date"),
        ({"labels": {"team": 5}}, "expected a string"),
        ({"labels": ["team"]}, "expected an object"),
        ({"supervisedTuningSpec": {"hyperParameters": {"epochCount": 3}}}, "expected a string"),
        ({"supervisedTuningSpec": {"hyperParameters": {"epochCount": "three"}}}, "int64"),
        ({"tunedModel": {"checkpoints": {"checkpointId": "1"}}}, "expected an array"),
        ({"tunedModel": {"checkpoints": [{"epoch": "1", "bogus": True}]}}, "unknown field 'bogus'"),
        ({"error": {"code": "1"}}, "expected an integer"),
        ({"error": {"code": 2**40}}, "int32"),
        ({"description": None}, "null"),
        ({"supervisedTuningSpec": {"exportLastCheckpointOnly": "yes"}}, "expected a boolean"),
        (
            {"supervisedTuningSpec": {"hyperParameters": {"learningRateMultiplier": "1.0"}}},
            "expected a number",
        ),
    ],
)
def test_each_kind_of_mismatch_is_caught(patch, problem):
    found = schema_problems({**VALID_JOB, **patch}, "TuningJob")
    assert len(found) == 1 and problem in found[0], found


def test_names_and_unknown_schemas():
    assert schema_name("TuningJob", "v1beta1") == "GoogleCloudAiplatformV1beta1TuningJob"
    assert schema_name("GoogleRpcStatus") == "GoogleRpcStatus"
    with pytest.raises(KeyError):
        schema_problems({}, "NoSuchThing")


def test_error_envelope_check():
    assert_error_envelope({"error": {"code": 404, "message": "x", "status": "NOT_FOUND"}}, "NOT_FOUND", 404)
    for bad in (
        {"error": {"code": 404, "message": "x"}},
        {"error": {"code": 404, "message": "x", "status": "NOT_FOUND"}, "extra": 1},
        {"error": {"code": "404", "message": "x", "status": "NOT_FOUND"}},
    ):
        with pytest.raises(AssertionError):
            assert_error_envelope(bad, "NOT_FOUND")
