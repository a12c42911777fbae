"""Fixtures of the fault tests: the emulator (in process or as a subprocess), and the ledger."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest
from ledger import ScenarioCost, api_calls_by_route

from support.emulator import RunningEmulator, emulator, emulator_process

__all__ = ["emulator", "emulator_process"]


class Ledger:
    """Settles a scenario: the emulator must hold exactly the jobs intended; the cost is recorded."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request
        self._baseline: Counter[str] = Counter()

    def start(self, emulator: RunningEmulator) -> None:
        """Count from here on: requests the test made to set the scene are not the provider's."""
        self._baseline = Counter(emulator.admin.stats()["requests"])

    @contextmanager
    def aside(self, emulator: RunningEmulator) -> Iterator[None]:
        """Calls the test makes itself in this block (checks, out-of-band steps) are not counted.

        Only for moments when no provider call is running, or its calls would be dropped too."""
        before = Counter(emulator.admin.stats()["requests"])
        yield
        self._baseline += Counter(emulator.admin.stats()["requests"]) - before

    def settle(
        self,
        emulator: RunningEmulator,
        *,
        jobs: int,
        scenario: str | None = None,
        earlier_calls: Mapping[str, int] | None = None,
        duplicate_seconds: list[float] | None = None,
    ) -> ScenarioCost:
        """`earlier_calls`: requests an emulator served before it restarted (its counts start at zero)."""
        stats = emulator.admin.stats()
        served = Counter(stats["requests"]) + Counter(earlier_calls or {})
        served.subtract(self._baseline)
        calls = api_calls_by_route(served)
        cost = ScenarioCost(
            scenario=scenario or self._request.node.name.removeprefix("test_"),
            jobs_intended=jobs,
            jobs_held=int(stats["jobs"]),
            api_calls=sum(calls.values()),
            calls_by_route=calls,
            jobs_by_state=dict(stats["jobsByState"]),
            duplicate_seconds=duplicate_seconds or [],
        )
        self._request.node.user_properties.append(cost.as_property())
        assert cost.jobs_held == jobs, f"the emulator holds {stats['jobsByState']}, intended {jobs} job(s)"
        return cost


@pytest.fixture
def ledger(request: pytest.FixtureRequest) -> Ledger:
    return Ledger(request)
