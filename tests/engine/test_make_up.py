"""`make up` (scripts/up.py) for real: the emulator, the dataset, the real engine, the tuned answer.

Runs in a copy of the project's quickstart files with the CLI that `make pulumi` provides; a
second run must find everything in place and change nothing.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from support.engine import pulumi_cli_dir

REPO = Path(__file__).parents[2]


def load_up() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_up_script", REPO / "scripts" / "up.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


up = load_up()


@pytest.fixture
def clone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "clone"
    shutil.copytree(REPO / "quickstart", root / "quickstart", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "scripts", root / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    monkeypatch.setenv("PULUMI_CLI_DIR", str(pulumi_cli_dir()))
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    return root


def jobs_in(root: Path) -> int:
    """Jobs the emulator's state file holds (the emulator itself is stopped by then)."""
    with sqlite3.connect(root / ".emulator" / "emulator-state.sqlite3") as state:
        return int(state.execute("SELECT count(*) FROM jobs").fetchone()[0])


def expected_answer(root: Path) -> str:
    lines = (root / "quickstart" / "data" / "train.jsonl").read_text().splitlines()
    example = next(e for e in map(json.loads, lines) if e["contents"][0]["parts"][0]["text"] == up.PROMPT)
    return str(example["contents"][1]["parts"][0]["text"])


@pytest.mark.slow
def test_make_up_tunes_the_quickstart_prints_the_answer_and_a_second_run_changes_nothing(
    clone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert up.main(clone, job_seconds=0.5) == 0
    first = capsys.readouterr().out

    endpoint = next(line for line in first.splitlines() if line.startswith("Tuned endpoint: "))
    assert "/endpoints/" in endpoint
    assert f"Answer: {expected_answer(clone)}" in first
    assert "+ 2 created" in first
    assert jobs_in(clone) == 1
    state = (clone / ".pulumi-state" / ".pulumi" / "stacks").rglob("dev.json")
    assert next(state).is_file()  # the local file backend of the project

    assert up.main(clone, job_seconds=0.5) == 0
    second = capsys.readouterr().out

    assert "2 unchanged" in second and "created" not in second
    assert endpoint in second.splitlines()
    assert jobs_in(clone) == 1
    # The emulator was stopped after each run.
    port = first.split("Emulator serving on ", 1)[1].split()[0]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://{port}/v1/projects/p/locations/us-central1/tuningJobs", timeout=2)


def test_without_a_cli_it_stops_with_make_pulumis_line_before_starting_anything(
    clone: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tools = clone.parent / "tools"
    tools.mkdir()
    (tools / "sh").symlink_to("/bin/sh")
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.delenv("PULUMI_CLI_DIR")
    monkeypatch.setenv("VERTEX_TUNING_CACHE_DIR", str(clone.parent / "empty-cache"))
    monkeypatch.setenv("VERTEX_TUNING_PULUMI_INSTALLER_URL", "http://127.0.0.1:9/")

    assert up.main(clone) == 1

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("make pulumi: no Pulumi CLI") and "https://www.pulumi.com/docs/install/" in line
    assert not (clone / ".emulator").exists()
