"""Fixtures of the fault tests: the emulator (in process or as a subprocess), and the ledger."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pytest
from ledger import ScenarioCost, api_calls_by_route, costs_in, summary_lines

from support.emulator import RunningEmulator, emulator, emulator_process

__all__ = ["emulator", "emulator_process"]


class Ledger:
    """Settles a scenario: the emulator must hold exactly the jobs intended; the cost is recorded."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def settle(
        self,
        emulator: RunningEmulator,
        *,
        jobs: int,
        scenario: str | None = None,
        earlier_calls: Mapping[str, int] | None = None,
    ) -> ScenarioCost:
        """`earlier_calls`: requests an emulator served before it restarted (its counts start at zero)."""
        stats = emulator.admin.stats()
        calls = api_calls_by_route(Counter(stats["requests"]) + Counter(earlier_calls or {}))
        cost = ScenarioCost(
            scenario=scenario or self._request.node.name.removeprefix("test_"),
            jobs_intended=jobs,
            jobs_held=int(stats["jobs"]),
            api_calls=sum(calls.values()),
            calls_by_route=calls,
            jobs_by_state=dict(stats["jobsByState"]),
        )
        self._request.node.user_properties.append(cost.as_property())
        assert cost.jobs_held == jobs, f"the emulator holds {stats['jobsByState']}, intended {jobs} job(s)"
        return cost


@pytest.fixture
def ledger(request: pytest.FixtureRequest) -> Ledger:
    return Ledger(request)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One table of every fault scenario's jobs and API calls, also under pytest-xdist."""
    reports = [report for reports in terminalreporter.stats.values() for report in reports]
    lines = summary_lines(costs_in(reports))
    if lines:
        terminalreporter.section("fault scenarios: jobs held and API calls")
        for line in lines:
            terminalreporter.write_line(line)
