"""List filters in AIP-160: AND, OR, NOT and parentheses over state, labels and create time."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from support.clock import WALL_CLOCK_START, VirtualClock
from support.emulator import sample_dataset
from vertex_tuning.emulator.jobs import JobService
from vertex_tuning.emulator.rpc import ApiError
from vertex_tuning.emulator.storage import DataDir
from vertex_tuning.emulator.store import Store
from vertex_tuning.wire import TuningJob


@pytest.fixture
def listed(tmp_path: Path):
    """Jobs a (team=red, created at 0 s), b (team=blue, 100 s), c (no label, 200 s, cancelled)."""
    clock = VirtualClock(WALL_CLOCK_START)
    data = DataDir(tmp_path / "data")
    data.write_text("gs://b/train.jsonl", sample_dataset(4))
    service = JobService(Store(tmp_path / "s.sqlite3"), data, job_seconds=1000, clock=clock)
    names = {}
    for key, offset, labels in (("a", 0, {"team": "red"}), ("b", 100, {"team": "blue"}), ("c", 200, None)):
        clock.at(offset)
        body = {
            "baseModel": "gemini-3.1-flash-lite",
            "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/train.jsonl"},
        }
        job = service.create("proj", "us-central1", TuningJob.model_validate({**body, "labels": labels}))
        assert job.name is not None
        names[job.name] = key
    service.cancel("proj", "us-central1", next(n for n, k in names.items() if k == "c").rsplit("/", 1)[1])
    clock.at(250)  # a RUNNING (since 200), b PENDING (until 300), c CANCELLING (until 300)

    def run(text: str) -> set[str]:
        page = service.list_jobs("proj", "us-central1", filter=text)
        return {names[job.name or ""] for job in page.tuning_jobs}

    run.created = datetime.fromtimestamp(clock.start, tz=timezone.utc)  # type: ignore[attr-defined]
    return run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('labels.team="red" OR labels.team="blue"', {"a", "b"}),
        ('NOT labels.team="red"', {"b", "c"}),
        ('-labels.team="red"', {"b", "c"}),
        ("labels.team:*", {"a", "b"}),
        ('state="JOB_STATE_CANCELLING" OR (labels.team="red" AND state="JOB_STATE_RUNNING")', {"a", "c"}),
        ('labels.team!="red" AND NOT state="JOB_STATE_CANCELLING"', {"b"}),
        ('labels.team="red" labels.team="blue"', set()),  # a space is AND
    ],
)
def test_boolean_filters(listed, text, expected):
    assert listed(text) == expected


def test_create_time_comparisons(listed):
    start = listed.created
    later = start.timestamp() + 50
    stamp = datetime.fromtimestamp(later, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert listed(f'create_time>"{stamp}"') == {"b", "c"}
    assert listed(f'createTime<="{stamp}" OR labels.team="blue"') == {"a", "b"}


@pytest.mark.parametrize(
    "text",
    ['display_name="x"', "state=", '(state="JOB_STATE_PENDING"', 'create_time>"yesterday"', 'state<"x"'],
)
def test_filters_the_service_would_refuse_are_a_400(listed, text):
    with pytest.raises(ApiError) as raised:
        listed(text)
    assert raised.value.status == "INVALID_ARGUMENT" and "filter" in raised.value.message
