"""The virtual clock every test uses: time passes only when code sleeps or a test moves it.

Pass it as both `clock=` and `sleep=clock.sleep` to the code under test: waits of minutes or
hours are recorded in `sleeps` and cost nothing.
"""

from __future__ import annotations

WALL_CLOCK_START = 1_800_000_000.0
"""A start in seconds since the epoch (2027), for code that stamps wall-clock times (the emulator)."""


class VirtualClock:
    """`clock()` and `clock.sleep()` on simulated time, starting at `start` (0 unless given)."""

    def __init__(self, start: float = 0.0) -> None:
        self.start = self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"a sleep of {seconds}s"
        self.sleeps.append(seconds)
        self.now += seconds

    def at(self, offset: float) -> VirtualClock:
        """Set the time to `offset` seconds after the start (a test jumping ahead)."""
        self.now = self.start + offset
        return self
