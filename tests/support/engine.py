"""The real Pulumi engine for tests: the CLI `make pulumi` provides, driving inline programs.

    def test_x(engine):
        stack = engine.stack(lambda: TuningJob("bot", ...))
        result = stack.up()
        assert engine.jobs_held() == 1

Each test gets its own PULUMI_HOME and file backend, and the emulator through
VERTEX_AI_EMULATOR_HOST. Programs run as Automation API inline programs: the CLI dials back into
this process's language server, so no Python language host is needed; the dynamic provider runs in
the real provider host that the engine starts through Pulumi's `pulumi-resource-pulumi-python`
launcher with this virtualenv's Python. Without a CLI the tests fail with `make pulumi`'s one line.
"""

from __future__ import annotations

import functools
import os
import runpy
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from support.emulator import LOCATION, PROJECT, RunningEmulator, sample_dataset
from vertex_tuning.wire import JobState

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "engine-tests"
DATASET = "gs://engine/train.jsonl"
MODEL = "gemini-3.5-flash"


def one_job(name: str = "bot", **inputs: Any) -> Callable[[], None]:
    """An inline program of one TuningJob on DATASET that exports its job and endpoint."""

    def program() -> None:
        import pulumi

        from vertex_tuning import TuningJob

        job = TuningJob(name, **{"base_model": MODEL, "training_dataset_uri": DATASET, **inputs})
        pulumi.export("job", job.job_name)
        pulumi.export("endpoint", job.tuned_model_endpoint_name)

    return program


@functools.cache
def pulumi_cli_dir() -> Path:
    """The directory holding `pulumi`: PULUMI_CLI_DIR (make test sets it), else `make pulumi`'s answer."""
    configured = os.environ.get("PULUMI_CLI_DIR")
    if configured and (Path(configured) / "pulumi").is_file():
        return Path(configured)
    finished = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "pulumi_cli.py")], capture_output=True, text=True, check=False
    )
    if finished.returncode != 0:
        last = (finished.stderr.strip().splitlines() or ["make pulumi failed"])[-1]
        pytest.fail(last, pytrace=False)
    return Path(finished.stdout.strip().splitlines()[-1])


@dataclass
class Run:
    """What one engine command printed and reported."""

    stdout: str
    events: list[auto.events.EngineEvent] = field(default_factory=list)
    summary: Mapping[str, int] = field(default_factory=dict)

    def operations(self) -> list[tuple[str, str]]:
        """(operation, resource name) of every resource step, in the order the engine began them."""
        steps = []
        for event in self.events:
            pre = event.resource_pre_event
            if pre is not None and pre.metadata.type.startswith("pulumi-python:dynamic"):
                steps.append((str(pre.metadata.op.value), pre.metadata.urn.rsplit("::", 1)[-1]))
        return steps

    def diagnostics(self, severity: str | None = None) -> list[str]:
        return [
            event.diagnostic_event.message
            for event in self.events
            if event.diagnostic_event is not None
            and (severity is None or event.diagnostic_event.severity == severity)
        ]


class EngineStack:
    """A stack of one inline program in its own workspace; each command returns a `Run`."""

    def __init__(self, stack: auto.Stack) -> None:
        self.stack = stack

    @property
    def name(self) -> str:
        return self.stack.name

    def _capture(self, command: Callable[..., Any], **options: Any) -> Run:
        lines: list[str] = []
        events: list[auto.events.EngineEvent] = []
        result = command(on_output=lines.append, on_event=events.append, color="never", **options)
        summary = getattr(result, "summary", None)
        changes = getattr(summary, "resource_changes", None) or getattr(result, "change_summary", None)
        return Run("\n".join(lines), events, dict(changes or {}))

    def up(self, **options: Any) -> Run:
        return self._capture(self.stack.up, **options)

    def preview(self, **options: Any) -> Run:
        return self._capture(self.stack.preview, **options)

    def refresh(self, **options: Any) -> Run:
        return self._capture(self.stack.refresh, **options)

    def destroy(self, **options: Any) -> Run:
        return self._capture(self.stack.destroy, **options)

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}

    def state(self) -> dict[str, Any]:
        """The stack's checkpoint as the backend stores it (`pulumi stack export`)."""
        return dict(self.stack.export_stack().deployment)

    def tuning_jobs_in_state(self) -> list[dict[str, Any]]:
        resources = self.state().get("resources", [])
        return [r for r in resources if str(r.get("type", "")).startswith("pulumi-python:dynamic")]


class Engine:
    """The CLI, a private PULUMI_HOME and file backend, and the emulator every stack talks to."""

    def __init__(self, root: Path, emulator: RunningEmulator) -> None:
        self.root = root
        self.emulator = emulator
        self.cli_dir = pulumi_cli_dir()
        self.home = root / "pulumi-home"
        self.backend = root / "backend"
        self.home.mkdir(parents=True, exist_ok=True)
        self.backend.mkdir(parents=True, exist_ok=True)
        self.command = auto.PulumiCommand(root=str(self.cli_dir.parent), skip_version_check=True)
        self.env = {
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": self.backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_PYTHON_CMD": sys.executable,
            "PATH": os.pathsep.join(
                [str(self.cli_dir), str(Path(sys.executable).parent), os.environ["PATH"]]
            ),
            "VERTEX_AI_EMULATOR_HOST": emulator.host_port,
            "GOOGLE_CLOUD_PROJECT": PROJECT,
            "GOOGLE_CLOUD_LOCATION": LOCATION,
        }

    def stack(
        self,
        program: Callable[[], None],
        *,
        project: str = "engine-test",
        stack: str = "dev",
        config: Mapping[str, str] | None = None,
        work_dir: Path | None = None,
    ) -> EngineStack:
        """A stack (created or selected) of `program`; `work_dir` may hold Pulumi.yaml and stack files."""
        work_dir = work_dir or self.root / "projects" / project
        work_dir.mkdir(parents=True, exist_ok=True)
        settings = None
        if not (work_dir / "Pulumi.yaml").exists():
            settings = auto.ProjectSettings(name=project, runtime="python")
        options = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_home=str(self.home),
            env_vars=self.env,
            project_settings=settings,
            pulumi_command=self.command,
        )
        created = auto.create_or_select_stack(stack, project_name=project, program=program, opts=options)
        for key, value in (config or {}).items():
            created.set_config(key, auto.ConfigValue(value))
        return EngineStack(created)

    def project_stack(self, folder: Path, stack: str, config: Mapping[str, str] | None = None) -> EngineStack:
        """A copy of a Pulumi project folder (an example) run as an inline program with its stack file."""
        copy = self.root / "projects" / folder.name
        if not copy.exists():
            shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("__pycache__", "test_*.py"))
        name = yaml.safe_load((copy / "Pulumi.yaml").read_text())["name"]
        return self.stack(
            program_of(copy / "__main__.py"), project=name, stack=stack, config=config, work_dir=copy
        )

    def jobs_held(self) -> int:
        return sum(self.emulator.admin.stats()["jobsByState"].values())

    def jobs_by_state(self) -> dict[str, int]:
        return dict(self.emulator.admin.stats()["jobsByState"])


def program_of(main: Path) -> Callable[[], None]:
    """An inline program that runs a project's `__main__.py`, as the Python language host would."""

    def program() -> None:
        previous = os.getcwd()
        os.chdir(main.parent)  # the language host runs programs from the project directory
        sys.path.insert(0, str(main.parent))
        try:
            runpy.run_path(str(main), run_name="__main__")
        finally:
            sys.path.remove(str(main.parent))
            os.chdir(previous)

    return program


def cli_processes() -> list[int]:
    """Pids of the `pulumi` CLIs this test process started (the Automation API's children)."""
    me = os.getpid()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            exe = os.readlink(entry / "exe")
        except OSError:
            continue
        if int(fields[1]) == me and Path(exe).name == "pulumi":
            pids.append(int(entry.name))
    return pids


@dataclass
class Background:
    """An engine command running in a thread: `.signal_cli(...)` interrupts it like a user would."""

    thread: threading.Thread
    outcome: dict[str, Any]

    def signal_cli(self, signum: signal.Signals, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not (pids := cli_processes()):
            if time.monotonic() > deadline:
                raise AssertionError("no pulumi CLI to signal")
            time.sleep(0.05)
        for pid in pids:
            os.kill(pid, signum)

    def join(self, timeout: float = 120.0) -> Any:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the engine command did not end"
        return self.outcome.get("error") or self.outcome.get("run")


def in_background(command: Callable[[], Run]) -> Background:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["run"] = command()
        except Exception as error:  # the test inspects it
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return Background(thread, outcome)


def running_job(engine: Engine, timeout: float = 30.0) -> str:
    """The name of the one RUNNING job, once there is one."""
    deadline = time.monotonic() + timeout
    while engine.jobs_by_state().get(JobState.RUNNING.value, 0) < 1:
        assert time.monotonic() < deadline, f"no running job: {engine.jobs_by_state()}"
        time.sleep(0.1)
    jobs = engine.emulator.http.get(f"{engine.emulator.parent()}/tuningJobs").json()["tuningJobs"]
    return str(jobs[0]["name"])


def interrupted_mid_wait(engine: Engine, *signals: signal.Signals) -> tuple[EngineStack, str, str]:
    """`pulumi up` of one job held RUNNING, sent `signals` mid-wait; the stack, the job and the output."""
    engine.emulator.write_object(DATASET, sample_dataset(10))
    engine.emulator.admin.stick_next_job(JobState.RUNNING)
    stack = engine.stack(one_job())
    background = in_background(stack.up)
    job = running_job(engine)
    for signum in signals:
        background.signal_cli(signum)
        time.sleep(2)
    outcome = background.join(60)
    assert isinstance(outcome, auto.CommandError), outcome
    return stack, job, str(outcome)


def pending_creates(stack: EngineStack) -> list[str]:
    return [op["resource"]["urn"] for op in stack.state().get("pending_operations", [])]


@pytest.fixture
def engine(tmp_path: Path, emulator: RunningEmulator) -> Iterator[Engine]:
    yield Engine(tmp_path, emulator)
