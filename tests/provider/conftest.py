"""Fixtures for the TuningJob provider tests: the emulator and the real provider host."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from support.emulator import emulator, emulator_process
from support.provider_host import provider_host

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
