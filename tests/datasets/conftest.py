"""Fixtures for the staging tests: the emulator and the real provider host."""

from support.emulator import emulator
from support.provider_host import provider_host

__all__ = ["emulator", "provider_host"]
