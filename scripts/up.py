"""`make up`: from a fresh clone to a tuned model's answer, on this machine, with no account.

Takes the Pulumi CLI that `make pulumi` (scripts/pulumi_cli.py) provides, starts the local emulator in
the background, seeds the quickstart dataset into it, runs `pulumi up` of the quickstart on the `dev`
stack with a local backend and a passphrase, prints the tuned endpoint and the tuned model's answer to a
prompt, and stops the emulator. With Pulumi's Python language host beside the CLI (any official
install) that is `pulumi up --yes` in the project folder; without one (a CLI built from Go modules,
where the host's module is not served) the same program runs as an Automation API inline program
through the same CLI, stack and backend. Run by the Makefile with the project's venv.
"""

from __future__ import annotations

import os
import runpy
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml
from pulumi import automation as auto

from vertex_tuning.errors import VertexTuningError

ROOT = Path(__file__).resolve().parent.parent
STACK = "dev"
DATASET_URI = "gs://quickstart/support-bot/train.jsonl"
PROMPT = "How do I descale my kettle?"
# The emulator accepts any well-formed project; a real one is never touched.
QUICKSTART_PROJECT = "vertex-tuning-quickstart"
QUICKSTART_LOCATION = "us-central1"
EMULATOR_JOB_SECONDS = 5.0
EMULATOR_LOG = ".emulator/emulator.log"
LANGUAGE_HOST = "pulumi-language-python"


def pulumi_cli_dir(root: Path) -> Path | None:
    """PULUMI_CLI_DIR when the Makefile passes it, else what `make pulumi` finds (None: it printed why)."""
    configured = os.environ.get("PULUMI_CLI_DIR")
    if configured and (Path(configured) / "pulumi").is_file():
        return Path(configured)
    script = root / "scripts" / "pulumi_cli.py"
    finished = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False)
    sys.stderr.write(finished.stderr)
    return Path(finished.stdout.strip().splitlines()[-1]) if finished.returncode == 0 else None


def language_host(cli_dir: Path, path: str | None) -> Path | None:
    """Pulumi's Python language host, which CLI-driven `pulumi up` needs: beside the CLI, or on PATH."""
    beside = cli_dir / LANGUAGE_HOST
    if beside.is_file():
        return beside
    found = shutil.which(LANGUAGE_HOST, path=path)
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_emulator(root: Path, *, port: int, job_seconds: float) -> Iterator[str]:
    """The emulator as a background process with its data under `.emulator/`; yields host:port."""
    host_port = f"127.0.0.1:{port}"
    command = [sys.executable, "-m", "vertex_tuning.cli", "emulator", "--port", str(port)]
    command += ["--data-dir", str(root / ".emulator"), "--job-seconds", str(job_seconds)]
    (root / ".emulator").mkdir(exist_ok=True)
    log = (root / EMULATOR_LOG).open("w")
    process = subprocess.Popen(command, cwd=root, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(host_port, process)
        yield host_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_until_serving(host_port: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://{host_port}/v1/projects/{QUICKSTART_PROJECT}/locations/{QUICKSTART_LOCATION}/tuningJobs"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited at start; see {EMULATOR_LOG}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the emulator did not answer on {host_port} in {timeout:.0f} s; see {EMULATOR_LOG}")


def seed_dataset(root: Path, host_port: str) -> None:
    """Put the quickstart's dataset where the program expects it, as a user's upload would."""
    from vertex_tuning.client import VertexClient
    from vertex_tuning.settings import resolve_settings
    from vertex_tuning.staging import upload_file

    emulator = {"VERTEX_AI_EMULATOR_HOST": host_port}
    settings = resolve_settings(project=QUICKSTART_PROJECT, location=QUICKSTART_LOCATION, environ=emulator)
    with VertexClient(settings) as client:
        upload_file(client, root / "quickstart" / "data" / "train.jsonl", DATASET_URI)


def pulumi_environment(root: Path, cli_dir: Path, host_port: str, base: Mapping[str, str]) -> dict[str, str]:
    """A local state backend and a passphrase (no account), pointed at the emulator."""
    env = dict(base)
    env["PULUMI_BACKEND_URL"] = (root / ".pulumi-state").as_uri()
    env.setdefault("PULUMI_CONFIG_PASSPHRASE", "quickstart")
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    env["VERTEX_AI_EMULATOR_HOST"] = host_port
    env.setdefault("GOOGLE_CLOUD_PROJECT", QUICKSTART_PROJECT)
    env.setdefault("GOOGLE_CLOUD_LOCATION", QUICKSTART_LOCATION)
    # The engine finds the dynamic-provider launcher beside the CLI; the launcher runs this venv's Python.
    env["PATH"] = os.pathsep.join([str(cli_dir), str(root / ".venv" / "bin"), env.get("PATH", "")])
    env["PULUMI_PYTHON_CMD"] = sys.executable
    return env


def pulumi(cli_dir: Path, *args: str, env: Mapping[str, str], root: Path, capture: bool = False) -> str:
    command = [str(cli_dir / "pulumi"), *args]
    finished = subprocess.run(command, cwd=root, env=dict(env), check=True, text=True, capture_output=capture)
    return finished.stdout.strip() if capture else ""


def up_with_the_cli(cli_dir: Path, root: Path, env: Mapping[str, str]) -> str:
    """`pulumi up` in the project folder, as a user runs it; returns the tuned endpoint."""
    pulumi(cli_dir, "stack", "select", STACK, "--create", env=env, root=root)
    pulumi(cli_dir, "up", "--yes", "--stack", STACK, env=env, root=root)
    return pulumi(cli_dir, "stack", "output", "endpoint", "--stack", STACK, env=env, root=root, capture=True)


def up_inline(cli_dir: Path, root: Path, env: Mapping[str, str]) -> str:
    """The same program, stack and backend through the Automation API; returns the tuned endpoint."""
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())
    main = root / str(project.get("main", ".")) / "__main__.py"

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    options = auto.LocalWorkspaceOptions(
        work_dir=str(root),
        env_vars=dict(env),
        pulumi_command=auto.PulumiCommand(root=str(cli_dir.parent), skip_version_check=True),
    )
    stack = auto.create_or_select_stack(STACK, project_name=project["name"], program=program, opts=options)
    stack.up(on_output=print, color="never")
    return str(stack.outputs()["endpoint"].value)


def ask(endpoint: str, env: Mapping[str, str]) -> str:
    """The tuned model's answer, through the operator CLI as a user would ask it."""
    command = [sys.executable, "-m", "vertex_tuning.cli", "prompt", endpoint, PROMPT]
    return subprocess.run(command, env=dict(env), check=True, text=True, capture_output=True).stdout.strip()


def tune_and_ask(cli_dir: Path, root: Path, job_seconds: float) -> tuple[str, str]:
    """With the emulator running: seed, `pulumi up`, ask. The tuned endpoint and its answer."""
    with running_emulator(root, port=free_port(), job_seconds=job_seconds) as host_port:
        print(f"Emulator serving on {host_port} (data in .emulator/)", flush=True)
        seed_dataset(root, host_port)
        env = pulumi_environment(root, cli_dir, host_port, os.environ)
        (root / ".pulumi-state").mkdir(exist_ok=True)
        if language_host(cli_dir, env["PATH"]):
            endpoint = up_with_the_cli(cli_dir, root, env)
        else:
            print(f"No {LANGUAGE_HOST} beside {cli_dir}: running the quickstart through the Automation API")
            endpoint = up_inline(cli_dir, root, env)
        return endpoint, ask(endpoint, env)


def main(root: Path = ROOT, *, job_seconds: float = EMULATOR_JOB_SECONDS) -> int:
    cli_dir = pulumi_cli_dir(root)
    if cli_dir is None:
        return 1  # make pulumi printed the one line saying what to install
    try:
        endpoint, answer = tune_and_ask(cli_dir, root, job_seconds)
    except subprocess.CalledProcessError as failed:
        command = " ".join(map(str, failed.cmd))
        said = f": {failed.stderr.strip()}" if failed.stderr else ""  # captured only for prompt/output
        print(f"`{command}` failed with exit code {failed.returncode}{said}", file=sys.stderr)
        return 1
    except auto.CommandError:
        print("make up stopped: `pulumi up` failed (its output is above)", file=sys.stderr)
        return 1
    except (RuntimeError, VertexTuningError) as error:
        print(f"make up stopped: {error}", file=sys.stderr)
        return 1
    print(f"\nTuned endpoint: {endpoint}")
    print(f"Prompt: {PROMPT}")
    print(f"Answer: {answer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
