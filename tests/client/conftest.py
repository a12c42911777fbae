"""Fixtures for the HTTP layer tests, built from the fakes in `client_fakes`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from client_fakes import LOCATION, PROJECT, ClientFactory

from support.clock import VirtualClock
from support.credentials import FakeCredentials
from support.emulator import emulator  # noqa: F401  (the emulator fixture)
from support.recorder import Recorder
from vertex_tuning.client import RetryPolicy, VertexClient
from vertex_tuning.settings import Settings


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def credentials() -> FakeCredentials:
    return FakeCredentials()


@pytest.fixture
def make_client(
    recorder: Recorder, clock: VirtualClock, credentials: FakeCredentials
) -> Iterable[ClientFactory]:
    """Build a client on the recorder: keyword arguments are Settings fields, `retry` a RetryPolicy."""
    made: list[VertexClient] = []

    def make(*, retry: RetryPolicy | None = None, **settings: Any) -> VertexClient:
        client = VertexClient(
            Settings(**{"project": PROJECT, "location": LOCATION, **settings}),
            transport=recorder.transport,
            credentials=credentials,
            retry=retry or RetryPolicy(max_attempts=5, budget=600.0),
            sleep=clock.sleep,
            clock=clock,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
