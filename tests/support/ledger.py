"""What each fault scenario cost: jobs the emulator holds at the end and API calls it served.

Every scenario test ends with `ledger.settle(...)`, which asserts that the emulator holds exactly
the jobs the scenario intended and attaches the counts to the test report. Reports travel from
pytest-xdist workers to the controller, where `pytest_terminal_summary` prints one table at the
session end; the top-level `tests/conftest.py` registers it, since under xdist the controller
loads no conftest below it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import pytest

from support.emulator import RunningEmulator

PROPERTY_KEY = "fault_scenario"

JOB_ROUTES = ("tuningJobs.create", "tuningJobs.list", "tuningJobs.get", "tuningJobs.cancel")
"""Shown one column each; every other API route (the metrics a finished job reads) is summed."""


@dataclass(frozen=True)
class ScenarioCost:
    scenario: str
    jobs_intended: int
    jobs_held: int
    api_calls: int
    calls_by_route: dict[str, int] = field(default_factory=dict)
    jobs_by_state: dict[str, int] = field(default_factory=dict)
    duplicate_seconds: list[float] = field(default_factory=list)
    """For each job cancelled as a duplicate: how long it lived, from its commit to its cancel."""

    def as_property(self) -> tuple[str, str]:
        return PROPERTY_KEY, json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_property(cls, value: str) -> ScenarioCost:
        return cls(**json.loads(value))


def api_calls_by_route(requests: Mapping[str, int]) -> dict[str, int]:
    """The emulator counts API routes only: admin calls made by the test itself are never in it."""
    return {route: count for route, count in sorted(requests.items()) if count > 0}


def costs_in(reports: Iterable[Any]) -> list[ScenarioCost]:
    costs = []
    for report in reports:
        if getattr(report, "when", None) != "call":
            continue  # setup and teardown reports repeat the same properties
        for key, value in getattr(report, "user_properties", ()):
            if key == PROPERTY_KEY:
                costs.append(ScenarioCost.from_property(value))
    return sorted(costs, key=lambda cost: cost.scenario)


def summary_lines(costs: list[ScenarioCost]) -> list[str]:
    if not costs:
        return []
    width = max(len(cost.scenario) for cost in costs)
    columns = [route.split(".")[-1] for route in JOB_ROUTES]
    header = f"{'scenario':<{width}}  jobs held/intended  API calls  " + "  ".join(columns) + "  other"
    lines = [header + "  succeeded  cancelled  duplicate lived (s)"]
    for cost in costs:
        held = f"{cost.jobs_held}/{cost.jobs_intended}"
        counts = [cost.calls_by_route.get(route, 0) for route in JOB_ROUTES]
        cells = "  ".join(f"{count:>{len(column)}}" for count, column in zip(counts, columns, strict=True))
        other = cost.api_calls - sum(counts)
        succeeded = cost.jobs_by_state.get("JOB_STATE_SUCCEEDED", 0)
        cancelled = cost.jobs_by_state.get("JOB_STATE_CANCELLED", 0)
        lived = " ".join(f"{seconds:.1f}" for seconds in cost.duplicate_seconds) or "-"
        lines.append(
            f"{cost.scenario:<{width}}  {held:>18}  {cost.api_calls:>9}  {cells}  {other:>5}"
            f"  {succeeded:>9}  {cancelled:>9}  {lived}"
        )
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One table of every fault scenario's jobs and API calls."""
    reports = [report for reports in terminalreporter.stats.values() for report in reports]
    lines = summary_lines(costs_in(reports))
    if lines:
        terminalreporter.section("fault scenarios: jobs held and API calls")
        for line in lines:
            terminalreporter.write_line(line)


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
