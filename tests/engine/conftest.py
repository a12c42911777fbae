"""Fixtures for the engine tests: the real Pulumi CLI against the emulator."""

from support.emulator import emulator
from support.engine import engine

__all__ = ["emulator", "engine"]
