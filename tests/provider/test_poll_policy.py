"""The polling policy's promises (bounded waits, heartbeats, backoff), measured on a virtual clock."""

from __future__ import annotations

import itertools

import pytest

from support.clock import VirtualClock
from vertex_tuning.polling import DEFAULT_POLICY, PollPolicy


def polls_until_noticed(job_seconds: float, policy: PollPolicy = DEFAULT_POLICY) -> tuple[int, float]:
    """(GETs made, seconds between the job's end and the poll that sees it)."""
    elapsed = 0.0
    for gets, delay in enumerate(policy.delays(), start=1):
        elapsed += delay
        if elapsed >= job_seconds:
            return gets, elapsed - job_seconds
    raise AssertionError("unreachable")


def test_starts_fast_and_backs_off_to_a_minute() -> None:
    delays = list(itertools.islice(DEFAULT_POLICY.delays(), 20))
    assert delays[:3] == [0.5, 0.75, 1.125]
    assert delays == sorted(delays)
    assert delays[-1] == 60.0
    assert max(delays) == 60.0


def test_a_one_hour_job_costs_at_most_seventy_gets() -> None:
    gets, _ = polls_until_noticed(3600)
    assert gets <= 70


@pytest.mark.parametrize("hours", [1, 3, 10])
def test_long_jobs_are_noticed_within_a_minute(hours: int) -> None:
    for offset in range(0, 3600, 97):  # end times spread over an hour
        _, late = polls_until_noticed(hours * 3600 + offset)
        assert late <= 60


@pytest.mark.parametrize("seconds", [0.3, 1, 2, 3, 5])
def test_a_job_of_a_few_seconds_is_noticed_within_two_seconds(seconds: float) -> None:
    _, late = polls_until_noticed(seconds)
    assert late <= 2


def test_the_deadline_cuts_the_last_delay_and_ends_the_schedule() -> None:
    clock = VirtualClock()
    for delay in DEFAULT_POLICY.delays_until(100.0, clock):
        clock.sleep(delay)
    assert clock.now == pytest.approx(100.0)
    assert list(DEFAULT_POLICY.delays_until(100.0, clock)) == []


def test_jitter_is_bounded_and_repeatable_with_a_seed() -> None:
    policy = PollPolicy(jitter=0.2, seed=7)
    first = list(itertools.islice(policy.delays(), 30))
    assert first == list(itertools.islice(policy.delays(), 30))
    plain = list(itertools.islice(DEFAULT_POLICY.delays(), 30))
    assert first != plain
    assert all(0.8 * p <= j <= 1.2 * p for j, p in zip(first, plain, strict=True))


@pytest.mark.parametrize(
    "bad",
    [{"first_delay": 0}, {"growth": 0.5}, {"max_delay": 0.1}, {"jitter": 1.0}],
)
def test_nonsense_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PollPolicy(**bad)  # type: ignore[arg-type]
