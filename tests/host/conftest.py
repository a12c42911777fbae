"""Fixtures for the provider-host tests: the emulator (in process or as a subprocess), the real
provider host, and the ledger every deployment scenario settles with."""

from __future__ import annotations

import pytest

from support.emulator import emulator, emulator_process
from support.ledger import Ledger
from support.provider_host import provider_host

__all__ = ["emulator", "emulator_process", "provider_host"]


@pytest.fixture
def ledger(request: pytest.FixtureRequest) -> Ledger:
    return Ledger(request)
