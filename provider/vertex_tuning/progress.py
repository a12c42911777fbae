"""What someone waiting for a job sees: progress lines on stderr, which `pulumi up` shows.

A wait prints a line when the job's state changes (`StateChanges`), a heartbeat at least every
`DEFAULT_HEARTBEAT_SECONDS` in between (state, the v1beta1 detailed state and completed steps
and epochs when the service reports them, elapsed time, the console link), and a line for every
retry that waits (`retry_line`, the client's `on_retry` hook). So a wait is never silent for
longer than the heartbeat, whatever the service does, and the interval is injectable so that
tests run the heartbeat on a virtual clock.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import names, wire

if TYPE_CHECKING:
    from .client import RetryNotice

DEFAULT_HEARTBEAT_SECONDS = 120.0
"""Longest silence while waiting: Pulumi shows the line, so people see the wait is alive."""


def stderr_line(text: str) -> None:
    """One progress line on stderr, which the Pulumi CLI shows for the stack.

    One write per line: `print` writes the text and the newline separately, so lines from jobs
    waiting in parallel threads would run into each other."""
    sys.stderr.write(f"vertex-tuning: {text}\n")
    sys.stderr.flush()


def retry_line(notice: RetryNotice, log: Callable[[str], None] = stderr_line) -> None:
    """The line for a retry that waits: what failed, which attempt comes next, and the delay."""
    log(
        f"{notice.call} answered {notice.reason}; attempt {notice.attempt} of {notice.max_attempts} "
        f"in {notice.delay:.1f}s"
    )


def duration(seconds: float) -> str:
    """`45s`, `12m03s`, `3h07m`: elapsed times in progress lines."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def detail(job: wire.TuningJob) -> str:
    """`detailed state TUNING, step 120, epoch 2`: what v1beta1 adds to the state, or ``."""
    parts: list[str] = []
    if job.tuning_job_state:
        parts.append(f"detailed state {job.tuning_job_state.removeprefix('TUNING_JOB_STATE_')}")
    metadata = job.tuning_job_metadata
    if metadata is not None and metadata.completed_step_count is not None:
        parts.append(f"step {metadata.completed_step_count}")
    if metadata is not None and metadata.completed_epoch_count is not None:
        parts.append(f"epoch {metadata.completed_epoch_count}")
    return ", ".join(parts)


def heartbeat_text(job: wire.TuningJob, elapsed: float) -> str:
    name = str(job.name)
    extra = detail(job)
    state = job.job_state.short + (f" ({extra})" if extra else "")
    return f"{name} is still {state} after {duration(elapsed)}; follow it at {names.console_url(name)}"


@dataclass
class Heartbeat:
    """The heartbeat of one wait: `pause` sleeps in pieces and speaks when the silence got long."""

    job: wire.TuningJob
    started: float
    clock: Callable[[], float]
    log: Callable[[str], None]
    every: float = DEFAULT_HEARTBEAT_SECONDS
    _last_line: float = field(init=False)

    def __post_init__(self) -> None:
        if self.every <= 0:
            raise ValueError("the heartbeat interval must be positive")
        self._last_line = self.started  # the wait's first line was just printed

    def observed(self, job: wire.TuningJob) -> None:
        """A poll answered; a new state means the wait printed its state-change line."""
        if job.job_state is not self.job.job_state:
            self._last_line = self.clock()
        self.job = job

    def pause(self, delay: float, sleep: Callable[[float], None]) -> None:
        """Sleep `delay` seconds, with a heartbeat whenever the last line is `every` seconds old."""
        end = self.clock() + delay
        while True:
            now = self.clock()
            if now - self._last_line >= self.every:
                self.log(heartbeat_text(self.job, now - self.started))
                self._last_line = now
            remaining = end - now
            if remaining <= 0:
                return
            sleep(min(remaining, self._last_line + self.every - now))


@dataclass
class StateChanges:
    """The wait's state-change lines: one when a job's state changes, the first with its console link."""

    _states: dict[str, wire.JobState] = field(default_factory=dict)

    def line(self, job: wire.TuningJob, elapsed: float, *, first: bool = False) -> str | None:
        """The line to print for `job` now, or None when its state is the one last reported."""
        name, state = str(job.name), job.job_state
        if not first and self._states.get(name) is state:
            return None
        self._states[name] = state
        line = f"{name} is {state.short} after {duration(elapsed)}"
        doing = detail(job)
        if doing:
            line += f" ({doing})"
        if first:
            line += f"; follow it at {names.console_url(name)}"
        return line
