"""The engine's Cancel stops the provider's waits; outside the host nothing is hooked."""

from __future__ import annotations

import threading

import pytest

from vertex_tuning import cancellation
from vertex_tuning.errors import EngineCancelledError


@pytest.fixture
def fresh_event(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    event = threading.Event()
    monkeypatch.setattr(cancellation, "_requested", event)
    return event


def test_a_wait_sleeps_its_time_until_cancel_is_requested_then_stops_at_once(fresh_event) -> None:
    cancellation.sleep(0.01)  # no cancel yet: an ordinary sleep

    raised: list[Exception] = []

    def wait_an_hour() -> None:
        try:
            cancellation.sleep(3600)
        except EngineCancelledError as error:
            raised.append(error)

    waiting = threading.Thread(target=wait_an_hour)
    waiting.start()
    cancellation.request()
    waiting.join(10)

    assert not waiting.is_alive() and len(raised) == 1, "the hour-long sleep ended on the cancel"
    with pytest.raises(EngineCancelledError, match="Ctrl-C"):
        cancellation.sleep(3600)


def test_outside_the_provider_host_the_cancel_rpc_is_left_alone() -> None:
    assert cancellation.hook_cancel_rpc() is False
