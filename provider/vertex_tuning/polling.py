"""How often a waiting create asks for its job's state: fast at first, then about once a minute.

The delay starts at 0.5 s and grows by half each poll up to a 60 s cap, so

- a job of a few seconds (the emulator) is noticed within a second or two of finishing
  (a 1 s job after 1.25 s, a 5 s job after 6.6 s);
- a long job is noticed within a minute of finishing;
- a one-hour job costs 70 GETs, a ten-hour job 610 (the cap dominates: one a minute).

The first twelve polls (about two minutes) cost little and cover every short job. Optional
jitter spreads the polls of many jobs started together; it is seeded so a run can be repeated.
The wait's deadline is part of the schedule: the last delay is cut so a poll lands on it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class PollPolicy:
    first_delay: float = 0.5
    growth: float = 1.5
    max_delay: float = 60.0
    jitter: float = 0.0
    """Each delay is scaled by a random factor in [1 - jitter, 1 + jitter]."""
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.first_delay <= 0 or self.growth < 1 or self.max_delay < self.first_delay:
            raise ValueError("a poll policy needs 0 < first_delay <= max_delay and growth >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def delays(self) -> Iterator[float]:
        """The endless sequence of delays between polls."""
        spread = random.Random(self.seed)
        delay = self.first_delay
        while True:
            yield delay * (1 + spread.uniform(-self.jitter, self.jitter)) if self.jitter else delay
            delay = min(self.max_delay, delay * self.growth)

    def delays_until(self, deadline: float, clock: Callable[[], float]) -> Iterator[float]:
        """Delays until `deadline` (on `clock`), the last one cut to land on it; ends at the deadline."""
        for delay in self.delays():
            remaining = deadline - clock()
            if remaining <= 0:
                return
            yield min(delay, remaining)


DEFAULT_POLICY = PollPolicy()
