"""Fixtures for the TuningJob provider tests: the emulator, the real provider host, and a
Lifecycle over the in-memory job service on a virtual clock (with the lines it logs)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from provider_fakes import FakeJobClient

from support.clock import VirtualClock
from support.emulator import emulator, emulator_process
from support.provider_host import provider_host
from vertex_tuning.lifecycle import Lifecycle

__all__ = ["emulator", "emulator_process", "provider_host"]


@pytest.fixture(autouse=True)
def leave_an_event_loop() -> Iterator[None]:
    """The host driver's `asyncio.run` leaves the main thread without a current event loop, and
    Pulumi's mocks need one: put one back, as a fresh interpreter has, for later tests in this worker."""
    yield
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def service(clock: VirtualClock) -> FakeJobClient:
    return FakeJobClient(clock)


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def lifecycle(service: FakeJobClient, clock: VirtualClock, lines: list[str]) -> Lifecycle:
    return Lifecycle(service, log=lines.append, clock=clock, sleep=clock.sleep)
