"""`make pulumi`: make the Pulumi CLI available; the last line printed is the directory holding `pulumi`.

Looks in this order and stops at the first that works:
1. a `pulumi` on PATH of at least MINIMUM_VERSION;
2. this project's cache (outside the repository, so CI and later sessions reuse it);
3. Pulumi's official installer, when its host answers;
4. a build from Pulumi's own Go modules at PINNED_VERSION through the Go module proxy: the CLI and the
   dynamic-provider launcher (the Python language host is a separate module the proxy may not serve).
Otherwise one line says what to install, and the exit code is 1.

Runs on the system Python with the standard library only: `make up` calls it before installing anything.
A build or install happens in a scratch directory that is renamed into place only when complete, so an
interrupted run leaves nothing that a later run would use. Progress goes to stderr.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

PINNED_VERSION = "3.274.1"
# The oldest CLI the tests and `make up` accept: the Automation API's inline refresh and destroy need it.
MINIMUM_VERSION = (3, 181, 0)
# Overridable so that tests (and mirrors) can stand in for Pulumi's installer host.
INSTALLER_URL = os.environ.get("VERTEX_TUNING_PULUMI_INSTALLER_URL", "https://get.pulumi.com/")
CLI_PACKAGE = "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
PKG_MODULE = "github.com/pulumi/pulumi/pkg/v3"
SDK_MODULE = "github.com/pulumi/pulumi/sdk/v3"
VERSION_VARIABLE = "github.com/pulumi/pulumi/sdk/v3/go/common/version.Version"
# Files of the sdk module the engine needs beside the CLI (the launcher starts `python -m pulumi.dynamic`).
SDK_FILES = {
    "pulumi-resource-pulumi-python": "python/dist/pulumi-resource-pulumi-python",
    "pulumi-language-python-exec": "python/cmd/pulumi-language-python-exec",
}
COMPLETE_STAMP = ".complete"
HEARTBEAT_SECONDS = 30.0
INSTALL_HINT = (
    "make pulumi: no Pulumi CLI >= {minimum} on PATH, and none could be installed or built ({reasons}): "
    "install it (https://www.pulumi.com/docs/install/, e.g. `curl -fsSL https://get.pulumi.com | sh`) "
    "or install Go so that `make pulumi` can build it, then run the command again."
)


class Unavailable(Exception):
    """This way of getting the CLI does not work here; the next one is tried."""


def say(message: str) -> None:
    print(f"make pulumi: {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    configured = os.environ.get("VERTEX_TUNING_CACHE_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser().resolve() / "pulumi-vertex-tuning"


def parse_version(text: str) -> tuple[int, int, int] | None:
    found = re.search(r"v?(\d+)\.(\d+)\.(\d+)", text)
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def cli_version(pulumi: Path) -> tuple[int, int, int] | None:
    env = {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    try:
        answer = subprocess.run(
            [str(pulumi), "version"], capture_output=True, text=True, timeout=60, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_version(answer.stdout) if answer.returncode == 0 else None


def usable(directory: Path) -> bool:
    """`pulumi` in `directory` answers with a version the project accepts."""
    version = cli_version(directory / "pulumi")
    return version is not None and version >= MINIMUM_VERSION


def from_path() -> Path | None:
    found = shutil.which("pulumi")
    if found is None:
        return None
    directory = Path(found).resolve().parent
    if usable(directory):
        return directory
    say(f"{found} is older than {'.'.join(map(str, MINIMUM_VERSION))} or does not run: not using it")
    return None


def from_cache(target: Path) -> Path | None:
    complete = (target / COMPLETE_STAMP).is_file() and usable(target / "bin")
    return target / "bin" if complete else None


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """One install or build at a time per cache: a second `make pulumi` waits, then finds the result."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def heartbeat(what: str, progress: list[int] | None = None) -> Iterator[None]:
    """A line every HEARTBEAT_SECONDS while `what` runs, so a long build is never silent."""
    started = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            minutes, seconds = divmod(int(time.monotonic() - started), 60)
            count = f", {progress[0]} packages compiled" if progress else ""
            say(f"{what}: {minutes}m{seconds:02d}s{count}")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def run(command: Sequence[str], cwd: Path, env: dict[str, str], progress: list[int] | None = None) -> str:
    """Run a go command; its stderr lines count as progress; a failure is Unavailable with its last lines."""
    process = subprocess.Popen(
        list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    tail: list[str] = []

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            tail[:] = [*tail[-19:], line.rstrip()]
            if progress is not None:
                progress[0] += 1

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    assert process.stdout is not None
    out = process.stdout.read()
    process.wait()
    reader.join()
    if process.returncode != 0:
        raise Unavailable(f"`{' '.join(command)}` failed: " + " | ".join(tail[-5:]))
    return out


def install_official(scratch: Path) -> None:
    if not INSTALLER_URL.startswith(("https://", "http://")):
        raise Unavailable(f"the installer URL {INSTALLER_URL!r} is not http(s)")
    try:
        with urllib.request.urlopen(INSTALLER_URL, timeout=10) as answer:  # noqa: S310 (checked just above)
            script = answer.read()
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        raise Unavailable(f"Pulumi's installer is out of reach ({error})") from None
    installer = scratch / "install.sh"
    installer.write_bytes(script)
    command = ["sh", str(installer), "--version", PINNED_VERSION, "--install-root", str(scratch)]
    with heartbeat(f"installing Pulumi {PINNED_VERSION}"):
        finished = subprocess.run([*command, "--no-edit-path"], check=False)
    if finished.returncode != 0:
        raise Unavailable(f"Pulumi's installer exited with {finished.returncode}")


def go_replaces(mod_file: Path) -> list[str]:
    """The `replace` lines of Pulumi's go.mod that point at other modules (local ones are the monorepo's)."""
    replaces = []
    for line in mod_file.read_text().splitlines():
        found = re.match(r"\s*(?:replace\s+)?(\S+)(?:\s+\S+)?\s+=>\s+(\S+)\s+(\S+)\s*$", line)
        if found and not found[2].startswith("."):
            replaces.append(f"{found[1]}={found[2]}@{found[3]}")
    return replaces


def build_from_go_modules(scratch: Path) -> None:
    go = shutil.which("go")
    if go is None:
        raise Unavailable("Go is not installed")
    version = f"v{PINNED_VERSION}"
    module = scratch / "module"
    module.mkdir()
    env = {**os.environ, "GOTOOLCHAIN": os.environ.get("GOTOOLCHAIN", "local"), "GOFLAGS": "-mod=mod"}
    say(f"building Pulumi {version} from Go modules (10-25 minutes the first time, on 2 cores)")
    with heartbeat(f"downloading Pulumi {version}'s modules"):
        run([go, "mod", "init", "pulumi-cli-build"], module, env)
        pkg = json.loads(run([go, "mod", "download", "-json", f"{PKG_MODULE}@{version}"], module, env))
        for replace in go_replaces(Path(pkg["GoMod"])):
            run([go, "mod", "edit", f"-replace={replace}"], module, env)
        (module / "tools.go").write_text(f'//go:build tools\n\npackage tools\n\nimport _ "{CLI_PACKAGE}"\n')
        run([go, "get", f"{PKG_MODULE}@{version}", f"{SDK_MODULE}@{version}"], module, env)
        run([go, "mod", "tidy"], module, env)
    bin_dir = scratch / "bin"
    ldflags = f"-s -w -X {VERSION_VARIABLE}={version}"
    build = [go, "build", "-v", "-trimpath", "-tags", "osusergo,grpcnotrace", "-ldflags", ldflags]
    compiled = [0]
    with heartbeat(f"compiling Pulumi {version}", compiled):
        run(
            [*build, "-o", str(bin_dir / "pulumi"), CLI_PACKAGE],
            module,
            {**env, "CGO_ENABLED": "0"},
            compiled,
        )
    sdk_dir = Path(run([go, "list", "-m", "-f", "{{.Dir}}", SDK_MODULE], module, env).strip())
    for name, relative in SDK_FILES.items():
        shutil.copyfile(sdk_dir / relative, bin_dir / name)
        (bin_dir / name).chmod(0o755)


def provide(target: Path) -> Path:
    """The cached CLI, installed or built first when missing; Unavailable when neither works."""
    with exclusive(target.parent / f"{target.name}.lock"):
        cached = from_cache(target)
        if cached:
            return cached
        for leftover in target.parent.glob(f".{target.name}-*"):  # an interrupted run's: redo, never use
            shutil.rmtree(leftover, ignore_errors=True)
        reasons = []
        for way in (install_official, build_from_go_modules):
            scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
            scratch.chmod(0o755)  # mkdtemp makes it private; the CLI is for every user of the cache
            try:
                way(scratch)
                directory = scratch / "bin"
                if not usable(directory):
                    raise Unavailable(f"the {way.__name__} result does not run")
                for launcher in SDK_FILES:  # the official release ships them; a build copies them
                    if not (directory / launcher).exists():
                        raise Unavailable(f"the {way.__name__} result lacks {launcher}")
                for extra in scratch.iterdir():  # the installer's script, the build's module
                    if extra.is_dir() and extra != directory:
                        shutil.rmtree(extra)
                    elif extra.is_file():
                        extra.unlink()
                (scratch / COMPLETE_STAMP).write_text(f"{PINNED_VERSION} {way.__name__}\n")
                shutil.rmtree(target, ignore_errors=True)
                scratch.rename(target)
                return target / "bin"
            except Unavailable as reason:
                reasons.append(str(reason))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        raise Unavailable("; ".join(reasons))


def main() -> int:
    directory = from_path()
    if directory is None:
        try:
            directory = provide(cache_root() / f"pulumi-{PINNED_VERSION}")
        except Unavailable as reasons:
            minimum = ".".join(map(str, MINIMUM_VERSION))
            print(INSTALL_HINT.format(minimum=minimum, reasons=reasons), file=sys.stderr)
            return 1
    print(directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
