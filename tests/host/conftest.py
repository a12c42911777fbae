"""Fixtures for the provider-host tests."""

from support.emulator import emulator
from support.provider_host import provider_host

__all__ = ["emulator", "provider_host"]
