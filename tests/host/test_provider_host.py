"""The host driver speaks the engine's protocol to the real `python -m pulumi.dynamic` host."""

from __future__ import annotations

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from support.provider_host import PROVIDER_KEY, UNKNOWN, HostCallError, HostFactory, ProviderHost
from support.toy_provider import ToyProvider

pytestmark = pytest.mark.slow


@pytest.fixture
def host(provider_host: HostFactory) -> ProviderHost:
    started = provider_host(ToyProvider(widen=False))
    started.configure({"toy:anything": "value"})
    return started


def test_check_passes_unknowns_and_turns_numbers_into_floats(host: ProviderHost) -> None:
    inputs, failures = host.check({}, {"sleep_seconds": 0, "later": UNKNOWN, "nested": {"n": [1, 2]}})

    assert failures == []
    assert inputs["later"] == UNKNOWN
    assert inputs["nested"] == {"n": [1.0, 2.0]}
    assert isinstance(inputs["sleep_seconds"], float)
    assert inputs[PROVIDER_KEY] == host.provider_blob


def test_check_failures_come_back_as_property_and_reason(host: ProviderHost) -> None:
    _, failures = host.check({}, {"sleep_seconds": "soon"})

    assert failures == [("sleep_seconds", "must be a number of seconds")]


def test_full_lifecycle_round_trips_through_the_host(host: ProviderHost) -> None:
    inputs, _ = host.check({}, {"sleep_seconds": 0, "size": 3})
    job_id, outs = host.create(inputs)
    assert job_id.startswith("toy-")
    assert outs["size"] == 3.0
    assert outs[PROVIDER_KEY] == host.provider_blob  # stored with the outputs, as the engine does

    assert host.diff(job_id, outs, {"sleep_seconds": 0, "size": 3}).changes is False
    changed = host.diff(job_id, outs, {"sleep_seconds": 0, "size": 4})
    assert (changed.changes, changed.replaces) == (True, ["size"])

    read_id, read_outs, read_inputs = host.read(job_id, outs)
    assert (read_id, read_outs["read"], read_inputs) == (job_id, True, None)

    updated = host.update(job_id, outs, {"sleep_seconds": 0, "size": 5})
    assert (updated["size"], updated["updated"]) == (5.0, True)

    host.delete(job_id, outs)
    host.wait_for_stderr(lambda line: line == f"toy: deleted {job_id}")


def test_get_style_read_sends_only_inputs(host: ProviderHost) -> None:
    read_id, outs, _ = host.read("toy-42", {}, {"size": 1})

    assert read_id == "toy-42"
    assert outs == {"size": 1.0, "read": True, PROVIDER_KEY: host.provider_blob}


def test_a_different_provider_blob_can_be_supplied(host: ProviderHost) -> None:
    other_blob = serialize_provider(ToyProvider(widen=True))
    assert other_blob != host.provider_blob

    inputs, _ = host.check({}, {"sleep_seconds": 0, PROVIDER_KEY: other_blob})

    assert inputs[PROVIDER_KEY] == other_blob


def test_provider_errors_carry_the_traceback_the_user_sees(host: ProviderHost) -> None:
    with pytest.raises(HostCallError) as raised:
        host.create({"fail_with": "the dataset is empty"})

    assert raised.value.method == "Create"
    assert raised.value.code == grpc.StatusCode.UNKNOWN
    assert "Traceback" in raised.value.details
    assert "RuntimeError: the dataset is empty" in raised.value.details


def test_kill_ends_the_host_like_the_engine_does(host: ProviderHost) -> None:
    host.kill()

    assert host.returncode == -9
    with pytest.raises(RuntimeError, match="not started"):
        host.check({}, {})


def test_a_host_that_cannot_start_reports_its_stderr(provider_host: HostFactory) -> None:
    with pytest.raises(RuntimeError, match="failed to start"):
        provider_host(ToyProvider(), env={"PYTHONPATH": "", "PYTHONHOME": "/nonexistent"})
