"""Blocking work stays off the event loop, uploads stream to disk, admin bodies are capped."""

from __future__ import annotations

import base64
import hashlib
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from support.emulator import FAST_JOB_SECONDS, sample_dataset

BIG = "gs://bucket/blocking/big.jsonl"
SMALL = "gs://bucket/blocking/small.jsonl"
BIG_EXAMPLES = 80_000
"""About 14 MB: seconds of checking, far longer than a GET the loop is free to answer."""


def _wait_for_request(em, route: str, count: int) -> None:
    """Until the server has taken `count` requests of `route` (read in-process: an admin call would
    read the jobs, and so check the dataset itself)."""
    deadline = time.monotonic() + 30
    while em.server.emulator.services.requests[route] < count:
        assert time.monotonic() < deadline, f"{route} never arrived"
        time.sleep(0.005)


@pytest.fixture
def short_gil_switches() -> Iterator[None]:
    """The test's readers, the server's event loop and the thread checking a dataset share one GIL
    in this process. At the default 5 ms switch interval, each of a quick GET's many hand-overs
    (client, loop, worker) waits out the checking thread, and the GET can take as long as the
    check whatever the loop does. A short interval keeps that contention out of what is measured."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.0002)
    yield
    sys.setswitchinterval(previous)


def test_a_get_is_answered_while_a_large_dataset_is_being_checked(emulator, short_gil_switches):
    em = emulator
    em.admin.set_job_seconds(FAST_JOB_SECONDS)
    em.write_object(SMALL, sample_dataset(4))
    small = em.wait_for_state(em.create_job(SMALL)["name"], "JOB_STATE_SUCCEEDED")  # its verdict is settled
    em.write_object(BIG, sample_dataset(BIG_EXAMPLES))  # about 14 MB: seconds of checking
    big = em.create_job(BIG)  # its dataset is checked at the first read after it starts
    time.sleep(FAST_JOB_SECONDS)
    gets_before = em.server.emulator.services.requests["tuningJobs.get"]

    finished = threading.Event()
    results: dict[str, httpx.Response] = {}

    def read_big() -> None:
        with httpx.Client(timeout=120) as client:
            results["big"] = client.get(f"{em.base_url}/v1/{big['name']}")
        finished.set()
        print(
            f"GET of the job whose 14 MB dataset is checked: {results['big'].elapsed.total_seconds():.3f} s"
        )

    worker = threading.Thread(target=read_big)
    worker.start()
    _wait_for_request(em, "tuningJobs.get", gets_before + 1)  # the big read is in the server now
    with httpx.Client(timeout=120) as client:
        quick = client.get(f"{em.base_url}/v1/{small['name']}")
    answered_first = not finished.is_set()
    print(f"GET of another job meanwhile: {quick.elapsed.total_seconds():.3f} s")
    worker.join(timeout=120)
    assert quick.status_code == 200 and quick.json()["state"] == "JOB_STATE_SUCCEEDED"
    assert results["big"].status_code == 200
    stats = results["big"].json()["tuningDataStats"]["supervisedTuningDataStats"]
    assert stats["tuningDatasetExampleCount"] == str(BIG_EXAMPLES)  # the slow read really did check the file
    assert answered_first, "the small GET waited for the large dataset's check"


def test_a_20_mb_dataset_upload_is_stored_whole(emulator):
    content = sample_dataset(100_000).encode()[: 20 * 1024 * 1024]
    response = emulator.http.post(
        f"{emulator.base_url}/upload/storage/v1/b/bucket/o",
        params={"uploadType": "media", "name": "uploads/big.jsonl"},
        content=content,
    )
    assert response.status_code == 200, response.text[:200]
    assert response.json()["size"] == str(len(content))
    assert response.json()["md5Hash"] == base64.b64encode(hashlib.md5(content).digest()).decode()  # noqa: S324
    assert (emulator.data_dir / "bucket" / "uploads" / "big.jsonl").read_bytes() == content
    assert not list((emulator.data_dir / "bucket" / "uploads").glob(".*partial"))


def test_admin_bodies_are_capped(emulator):
    response = emulator.http.post(
        f"{emulator.base_url}/_emulator/faults", content=b"{" + b" " * 100_000 + b"}"
    )
    assert response.status_code == 413
