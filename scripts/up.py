"""`make up`: from a fresh clone to a tuned model's answer, on this machine, with no account.

Finds the Pulumi CLI (PATH, then `.pulumi/bin`) or installs it there with Pulumi's official installer,
starts the local emulator in the background, seeds the quickstart dataset into it, runs `pulumi up`
of the quickstart with a local backend and a passphrase, prints the tuned endpoint and the tuned
model's answer to a prompt, and stops the emulator. Run by the Makefile with the project's venv.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from vertex_tuning.errors import VertexTuningError

ROOT = Path(__file__).resolve().parent.parent
INSTALLER_URL = "https://get.pulumi.com"
INSTALL_HINT = (
    "make up needs the Pulumi CLI and could not install it (no internet?): install it from "
    "https://www.pulumi.com/docs/install/ (e.g. `curl -fsSL https://get.pulumi.com | sh`), "
    "put it on PATH and run `make up` again."
)
STACK = "dev"
DATASET_URI = "gs://quickstart/support-bot/train.jsonl"
PROMPT = "How do I descale my kettle?"
# The emulator accepts any well-formed project; a real one is never touched.
QUICKSTART_PROJECT = "vertex-tuning-quickstart"
QUICKSTART_LOCATION = "us-central1"
EMULATOR_JOB_SECONDS = 5.0
EMULATOR_LOG = ".emulator/emulator.log"


def find_pulumi(root: Path, path: str | None) -> Path | None:
    """The Pulumi CLI on PATH, else the one `make up` installed into the project earlier."""
    on_path = shutil.which("pulumi", path=path)
    if on_path:
        return Path(on_path)
    local = root / ".pulumi" / "bin" / "pulumi"
    return local if local.is_file() and os.access(local, os.X_OK) else None


def install_pulumi(root: Path, *, installer_url: str = INSTALLER_URL, path: str | None = None) -> Path | None:
    """Run Pulumi's official installer into `root/.pulumi`; None when that cannot work here."""
    shell = shutil.which("sh", path=path)
    if shell is None:
        return None
    try:
        # Downloaded to a file first: `curl | sh` reports success when the download fails.
        script = httpx.get(installer_url, follow_redirects=True, timeout=30).raise_for_status().text
    except httpx.HTTPError:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as installer:
        installer.write(script)
    try:
        command = [shell, installer.name, "--install-root", str(root / ".pulumi"), "--no-edit-path"]
        finished = subprocess.run(command, check=False, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        os.unlink(installer.name)
    return find_pulumi(root, path="") if finished.returncode == 0 else None


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
    from vertex_tuning.settings import resolve_settings
    from vertex_tuning.staging import upload_file

    emulator = {"VERTEX_AI_EMULATOR_HOST": host_port}
    settings = resolve_settings(project=QUICKSTART_PROJECT, location=QUICKSTART_LOCATION, environ=emulator)
    upload_file(settings, root / "quickstart" / "data" / "train.jsonl", DATASET_URI)


def pulumi_environment(root: Path, host_port: str, base: Mapping[str, str]) -> dict[str, str]:
    """A local state backend and a passphrase (no account), pointed at the emulator."""
    env = dict(base)
    env["PULUMI_BACKEND_URL"] = (root / ".pulumi-state").as_uri()
    env.setdefault("PULUMI_CONFIG_PASSPHRASE", "quickstart")
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    env["VERTEX_AI_EMULATOR_HOST"] = host_port
    env.setdefault("GOOGLE_CLOUD_PROJECT", QUICKSTART_PROJECT)
    env.setdefault("GOOGLE_CLOUD_LOCATION", QUICKSTART_LOCATION)
    env["PATH"] = os.pathsep.join([str(root / ".venv" / "bin"), env.get("PATH", "")])
    return env


def pulumi(cli: Path, *args: str, env: Mapping[str, str], root: Path, capture: bool = False) -> str:
    finished = subprocess.run(
        [str(cli), *args], cwd=root, env=dict(env), check=True, text=True, capture_output=capture
    )
    return finished.stdout.strip() if capture else ""


def run_quickstart(cli: Path, root: Path, env: Mapping[str, str]) -> str:
    """`pulumi up` of the quickstart on the `dev` stack; returns the tuned endpoint."""
    (root / ".pulumi-state").mkdir(exist_ok=True)
    pulumi(cli, "stack", "select", STACK, "--create", env=env, root=root)
    pulumi(cli, "up", "--yes", "--stack", STACK, env=env, root=root)
    return pulumi(cli, "stack", "output", "endpoint", "--stack", STACK, env=env, root=root, capture=True)


def ask(endpoint: str, env: Mapping[str, str]) -> str:
    """The tuned model's answer, through the operator CLI as a user would ask it."""
    command = [sys.executable, "-m", "vertex_tuning.cli", "prompt", endpoint, PROMPT]
    return subprocess.run(command, env=dict(env), check=True, text=True, capture_output=True).stdout.strip()


def tune_and_ask(cli: Path, root: Path, job_seconds: float) -> tuple[str, str]:
    """With the emulator running: seed, `pulumi up`, ask. The tuned endpoint and its answer."""
    with running_emulator(root, port=free_port(), job_seconds=job_seconds) as host_port:
        print(f"Emulator serving on {host_port} (data in .emulator/)", flush=True)
        seed_dataset(root, host_port)
        env = pulumi_environment(root, host_port, os.environ)
        endpoint = run_quickstart(cli, root, env)
        return endpoint, ask(endpoint, env)


def main(
    root: Path = ROOT, *, installer_url: str = INSTALLER_URL, job_seconds: float = EMULATOR_JOB_SECONDS
) -> int:
    path = os.environ.get("PATH")
    cli = find_pulumi(root, path) or install_pulumi(root, installer_url=installer_url, path=path)
    if cli is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    try:
        endpoint, answer = tune_and_ask(cli, root, job_seconds)
    except subprocess.CalledProcessError as failed:
        command = " ".join(map(str, failed.cmd))
        said = f": {failed.stderr.strip()}" if failed.stderr else ""  # captured only for prompt/output
        print(f"`{command}` failed with exit code {failed.returncode}{said}", file=sys.stderr)
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
