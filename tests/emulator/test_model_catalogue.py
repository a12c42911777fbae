"""The model catalogue: every model's record pinned, and the emulator serving today's catalogue,
or that of a day it is set back to (`--as-of`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from support.discovery import assert_error_envelope
from support.emulator import LOCATION, EmulatorProcess, job_body, messages_dataset, sample_dataset
from vertex_tuning import catalogue

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


# --- every model's full record, pinned (the table is data: a refactor of it must keep each value) ---

TUNING_REGIONS = """
    asia-east1 asia-east2 asia-northeast1 asia-northeast3 asia-south1 asia-southeast1
    australia-southeast1 europe-central2 europe-north1 europe-southwest1 europe-west1 europe-west2
    europe-west3 europe-west4 europe-west6 europe-west8 europe-west9 me-central1 me-west1
    northamerica-northeast1 southamerica-east1
    us-central1 us-east1 us-east4 us-east5 us-south1 us-west1 us-west4
"""
ALL_TUNING_REGIONS = set(TUNING_REGIONS.split())
IMAGE_TOKENS = {
    "g3": {
        "MEDIA_RESOLUTION_LOW": 280,
        "MEDIA_RESOLUTION_MEDIUM": 560,
        "MEDIA_RESOLUTION_HIGH": 1120,
        None: 1120,
    },
    "g1": {
        "MEDIA_RESOLUTION_LOW": 64,
        "MEDIA_RESOLUTION_MEDIUM": 258,
        "MEDIA_RESOLUTION_HIGH": 258,
        None: 258,
    },
}

# id, dataset format, adapter sizes, default adapter size, released, retires, successor, confirmed
# (in catalogue order)
LIFECYCLES = """
gemini-3.5-flash          gemini   1,2,4,8,16 8 2026-05-19 2027-05-19 -                     y
gemini-3.1-flash-lite     gemini   1,2,4,8,16 8 2026-05-07 2027-05-07 -                     y
gemini-3.5-flash-lite     gemini   1,2,4,8,16 8 2026-05-19 -          gemini-3.1-flash-lite n
translation-llm-002       gemini   4          4 2024-10-01 -          -                     y
gemini-2.5-pro            gemini   1,2,4,8    8 2025-06-17 2026-10-20 gemini-3.5-flash      y
gemini-2.5-flash          gemini   1,2,4,8,16 8 2025-06-17 2026-10-20 gemini-3.1-flash-lite y
gemini-2.5-flash-lite     gemini   1,2,4,8,16 8 2025-07-22 2026-10-20 gemini-3.1-flash-lite y
gemini-2.0-flash-001      gemini   1,2,4,8    4 2025-02-05 2026-06-01 gemini-2.5-flash      y
gemini-2.0-flash-lite-001 gemini   1,2,4,8    4 2025-02-25 2026-06-01 gemini-2.5-flash-lite y
gemini-1.5-pro-002        gemini   1,4        4 2024-09-24 2025-09-24 gemini-2.5-pro        y
gemini-1.5-flash-002      gemini   1,4,8,16   8 2024-09-24 2025-09-24 gemini-2.5-flash      y
gemini-1.0-pro-002        messages 1,4        4 2024-04-09 2025-04-21 gemini-1.5-pro-002    y
"""
# id, max tokens per example, modalities, CMEK, tuning regions, serving hosts,
# max validation examples, validation share (above:share), image tokens (IMAGE_TOKENS)
LIMITS = """
gemini-3.5-flash          131072 image,pdf,text,video       n eu4,usc1 eu4>eu,usc1>us 5000 1000:0.3 g3
gemini-3.1-flash-lite     131072 image,pdf,text,video       n eu4,usc1 eu4>eu,usc1>us 5000 1000:0.3 g3
gemini-3.5-flash-lite     131072 image,pdf,text,video       n eu4,usc1 eu4>eu,usc1>us 5000 1000:0.3 g3
translation-llm-002       1000   text                       y usc1     -              1024 -        g1
gemini-2.5-pro            131072 audio,image,pdf,text,video y all      -              5000 1000:0.3 g1
gemini-2.5-flash          131072 audio,image,pdf,text,video y all      -              5000 1000:0.3 g1
gemini-2.5-flash-lite     131072 audio,image,pdf,text,video y all      -              5000 1000:0.3 g1
gemini-2.0-flash-001      131072 image,pdf,text,video       y all      -              5000 1000:0.3 g1
gemini-2.0-flash-lite-001 131072 image,pdf,text,video       y all      -              5000 1000:0.3 g1
gemini-1.5-pro-002        32000  audio,image,pdf,text,video y all      -              5000 1000:0.3 g1
gemini-1.5-flash-002      32000  audio,image,pdf,text,video y all      -              5000 1000:0.3 g1
gemini-1.0-pro-002        32000  text                       y all      -              5000 1000:0.3 g1
"""
_SHORT_REGIONS = {"us-central1": "usc1", "europe-west4": "eu4"}


def _table(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def _regions(regions: frozenset[str]) -> str:
    if regions == ALL_TUNING_REGIONS:
        return "all"
    return ",".join(sorted(_SHORT_REGIONS.get(region, region) for region in regions))


def _lifecycle_row(model: catalogue.BaseModel) -> list[str]:
    return [
        model.id,
        model.dataset_format.value,
        ",".join(str(size) for size in model.adapter_sizes),
        str(model.default_adapter_size),
        str(model.released),
        str(model.retires or "-"),
        model.successor or "-",
        "y" if model.confirmed else "n",
    ]


def _limits_row(model: catalogue.BaseModel) -> list[str]:
    share = model.validation_share
    hosts = sorted(f"{_SHORT_REGIONS.get(k, k)}>{v}" for k, v in model.serving.items())
    images = [name for name, tokens in IMAGE_TOKENS.items() if dict(model.image_tokens) == tokens]
    return [
        model.id,
        str(model.max_tokens_per_example),
        ",".join(sorted(modality.value for modality in model.modalities)),
        "y" if model.cmek else "n",
        _regions(model.regions),
        ",".join(hosts) or "-",
        str(model.max_validation_examples),
        "-" if share is None else f"{share[0]}:{share[1]:g}",
        ",".join(images) or repr(model.image_tokens),
    ]


def test_every_model_keeps_its_full_record():
    models = list(catalogue.BASE_MODELS.values())
    assert [_lifecycle_row(model) for model in models] == _table(LIFECYCLES)
    assert [_limits_row(model) for model in models] == _table(LIMITS)
    for model in models:  # what every model shares, and the types the rows above print
        assert (model.max_text_examples, model.max_multimodal_examples) == (10_000_000, 300_000)
        assert model.media == catalogue.MediaCounts(images=30, videos=1, audio_files=1, pdfs=4)
        assert (model.default_epochs, model.max_epochs) == (3, 100)
        assert isinstance(model.adapter_sizes, tuple) and isinstance(model.regions, frozenset)
        assert isinstance(model.released, dt.date) and isinstance(model.modalities, frozenset)
        assert model.validation_share is None or isinstance(model.validation_share[1], float)
