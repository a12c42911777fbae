"""Fixtures for the TuningJob provider tests: the emulator and the real provider host."""

from support.emulator import emulator, emulator_process
from support.provider_host import provider_host

__all__ = ["emulator", "emulator_process", "provider_host"]
