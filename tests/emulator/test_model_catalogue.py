"""The emulator serves today's model catalogue, or that of a day it is set back to (`--as-of`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.discovery import assert_error_envelope
from support.emulator import LOCATION, EmulatorProcess, job_body, messages_dataset, sample_dataset

TRAIN = "gs://bucket/train.jsonl"
KEY = {"kmsKeyName": f"projects/p/locations/{LOCATION}/keyRings/r/cryptoKeys/k"}


def error_of(response, status, code):
    assert response.status_code == code, response.text
    assert_error_envelope(response.json(), status, code)
    return response.json()["error"]["message"]


def post(emulator, body):
    return emulator.http.post(f"{emulator.parent()}/tuningJobs", json=body)


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            "gemini-2.5-flash",
            "base_model gemini-2.5-flash was retired on 2026-10-20; use gemini-3.1-flash-lite.",
        ),
        (
            "gemini-1.5-pro-002",
            "base_model gemini-1.5-pro-002 was retired on 2025-09-24; use gemini-3.5-flash.",
        ),
    ],
)
def test_today_a_retired_model_is_refused_naming_its_successor(emulator, model, message):
    emulator.write_object(TRAIN, sample_dataset(3))
    assert error_of(post(emulator, job_body(TRAIN, baseModel=model)), "INVALID_ARGUMENT", 400) == message


def test_today_the_current_models_tune(emulator):
    emulator.write_object(TRAIN, sample_dataset(3))
    for model in ("gemini-3.5-flash", "gemini-3.1-flash-lite", "translation-llm-002"):
        assert post(emulator, job_body(TRAIN, baseModel=model)).status_code == 200, model
    unconfirmed = post(emulator, job_body(TRAIN, baseModel="gemini-3.5-flash-lite"))
    assert "not as a model for supervised tuning" in error_of(unconfirmed, "INVALID_ARGUMENT", 400)


def test_set_back_to_the_seed_day_the_seed_models_tune_with_cmek(seed_emulator):
    seed_emulator.write_object(TRAIN, sample_dataset(3))
    for model in ("gemini-1.5-pro-002", "gemini-1.5-flash-002"):
        created = post(seed_emulator, job_body(TRAIN, baseModel=model, encryptionSpec=KEY))
        assert created.status_code == 200, created.text
    future = post(seed_emulator, job_body(TRAIN, baseModel="gemini-3.5-flash"))
    assert "was not released until" in error_of(future, "INVALID_ARGUMENT", 400)


def test_the_command_line_sets_the_day_with_as_of(tmp_path: Path):
    process = EmulatorProcess(tmp_path / "data", extra_args=("--as-of", "2024-11-01")).start()
    try:
        process.write_object("gs://bucket/legacy.jsonl", messages_dataset(2))
        legacy = job_body("gs://bucket/legacy.jsonl", baseModel="gemini-1.0-pro-002", encryptionSpec=KEY)
        assert post(process, legacy).status_code == 200
    finally:
        process.kill()
