"""The operator CLI against the emulator fixture: in-process (typer's CliRunner, `cli`) or through
the real console script in a subprocess (`script`), as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

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


# The console script pip installed next to this interpreter: exactly what a user runs.
CONSOLE_SCRIPT = Path(sys.executable).with_name("vertex-tuning")
GOOGLE_VARIABLES = (
    "GOOGLE_PROJECT",
    "GOOGLE_CLOUD_PROJECT",
    "GCLOUD_PROJECT",
    "CLOUDSDK_CORE_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
    "GOOGLE_REGION",
    "GCLOUD_REGION",
    "GOOGLE_CLOUD_REGION",
    "CLOUDSDK_COMPUTE_REGION",
    "GOOGLE_IMPERSONATE_SERVICE_ACCOUNT",
    "GOOGLE_CREDENTIALS",
    "GOOGLE_CLOUD_QUOTA_PROJECT",
)
Run = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def script_env(emulator: InProcessEmulator) -> dict[str, str]:  # noqa: F811
    """The environment of a user pointed at the emulator, with no other Google settings."""
    base = {key: value for key, value in os.environ.items() if key not in GOOGLE_VARIABLES}
    return {**base, **emulator.env, "GOOGLE_CLOUD_PROJECT": PROJECT, "COLUMNS": "80"}


@pytest.fixture
def script(script_env: dict[str, str], tmp_path: Path) -> Run:
    """`script("jobs", "list")`: the `vertex-tuning` console script against the emulator."""
    env = script_env

    def run(*args: str, timeout: float = 60, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(CONSOLE_SCRIPT), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**env, **extra_env},
            cwd=tmp_path,
        )

    return run
