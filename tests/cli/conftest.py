"""The operator CLI run in-process (typer's CliRunner) against the emulator fixture."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from typer.testing import CliRunner

from support.emulator import PROJECT, InProcessEmulator, emulator  # noqa: F401  (fixture)
from vertex_tuning.cli import app, register_commands

register_commands()

Invoke = Callable[..., Result]


@pytest.fixture
def cli(emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch) -> Invoke:  # noqa: F811
    """`cli("jobs", "list")`: run a command against the emulator; stdout and stderr kept apart."""
    for name in ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_LOCATION"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    env = {**emulator.env, "GOOGLE_CLOUD_PROJECT": PROJECT}

    def invoke(*args: str, **extra_env: str | None) -> Result:
        return runner.invoke(app, list(args), env={**env, **extra_env})

    return invoke
