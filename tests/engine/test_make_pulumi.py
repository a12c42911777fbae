"""`make pulumi` (scripts/pulumi_cli.py): where the CLI comes from, and that nothing half-made is used.

The real build from Go modules runs in `.ci/run` and in every engine test's fixture; these tests drive
the order of the other sources with stand-in `pulumi`, installer and `go` executables.
"""

from __future__ import annotations

import http.server
import importlib.util
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).parents[2]
SCRIPT = REPO / "scripts" / "pulumi_cli.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pulumi_cli_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pulumi_cli = load_script()


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def fake_pulumi(directory: Path, version: str) -> Path:
    return executable(directory / "pulumi", f"#!/bin/sh\necho v{version}\n")


def make_pulumi(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    """No pulumi and no go on PATH, an empty cache, and an installer host that cannot be reached."""
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("sh", "cat", "mkdir", "chmod", "printf"):
        (tools / tool).symlink_to(f"/bin/{tool}")
    return {
        "PATH": str(tools),
        "HOME": str(tmp_path),
        "VERTEX_TUNING_CACHE_DIR": str(tmp_path / "cache"),
        "VERTEX_TUNING_PULUMI_INSTALLER_URL": "http://127.0.0.1:9/",  # nothing listens on port 9
    }


def test_a_new_enough_pulumi_on_path_comes_first(tmp_path: Path, bare_env: dict[str, str]) -> None:
    on_path = fake_pulumi(tmp_path / "user-bin", "3.300.0")
    bare_env["PATH"] = f"{on_path.parent}:{bare_env['PATH']}"

    finished = make_pulumi(bare_env)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines()[-1] == str(on_path.parent)


def test_an_old_pulumi_on_path_is_passed_over_for_the_cache(tmp_path: Path, bare_env: dict[str, str]) -> None:
    old = fake_pulumi(tmp_path / "user-bin", "3.100.0")
    cached = Path(bare_env["VERTEX_TUNING_CACHE_DIR"]) / f"pulumi-{pulumi_cli.PINNED_VERSION}"
    fake_pulumi(cached / "bin", pulumi_cli.PINNED_VERSION)
    (cached / pulumi_cli.COMPLETE_STAMP).write_text("test\n")
    bare_env["PATH"] = f"{old.parent}:{bare_env['PATH']}"

    finished = make_pulumi(bare_env)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines()[-1] == str(cached / "bin")
    assert "older than 3.181.0" in finished.stderr


def test_with_no_way_to_get_it_one_line_says_what_to_install(bare_env: dict[str, str]) -> None:
    finished = make_pulumi(bare_env)

    assert finished.returncode == 1
    [line] = finished.stderr.splitlines()
    assert "https://www.pulumi.com/docs/install/" in line and "install Go" in line
    assert "Go is not installed" in line and "installer is out of reach" in line
    assert finished.stdout == ""


def test_an_interrupted_build_is_never_used_and_leaves_nothing(
    tmp_path: Path, bare_env: dict[str, str]
) -> None:
    cache = Path(bare_env["VERTEX_TUNING_CACHE_DIR"])
    half_built = cache / f"pulumi-{pulumi_cli.PINNED_VERSION}"
    fake_pulumi(half_built / "bin", pulumi_cli.PINNED_VERSION)  # no completion stamp: the build was cut
    leftover = cache / f".pulumi-{pulumi_cli.PINNED_VERSION}-abc123"
    leftover.mkdir(parents=True)
    # A `go` that fails the way a cut network does: the build is tried again, and fails cleanly.
    go = executable(
        tmp_path / "go-bin" / "go", "#!/bin/sh\necho 'dial tcp: connection refused' >&2\nexit 1\n"
    )
    bare_env["PATH"] = f"{go.parent}:{bare_env['PATH']}"

    finished = make_pulumi(bare_env)

    assert finished.returncode == 1
    assert "connection refused" in finished.stderr.splitlines()[-1]
    assert not leftover.exists()
    assert sorted(path.name for path in cache.iterdir()) == [
        f"pulumi-{pulumi_cli.PINNED_VERSION}",  # the half-built one, still unstamped and unused
        f"pulumi-{pulumi_cli.PINNED_VERSION}.lock",
    ]
    assert not (half_built / pulumi_cli.COMPLETE_STAMP).exists()


@pytest.fixture
def installer_url() -> Iterator[str]:
    """A stand-in for Pulumi's installer: honours --install-root and lays out bin/ as a release does."""
    script = (
        b"#!/bin/sh\nset -e\n"
        b'while [ $# -gt 0 ]; do case "$1" in --install-root) root="$2"; shift 2;; *) shift;; esac; done\n'
        b'mkdir -p "$root/bin"\nprintf "#!/bin/sh\\necho v3.274.1\\n" > "$root/bin/pulumi"\n'
        b"for f in pulumi-resource-pulumi-python pulumi-language-python-exec; do\n"
        b'  printf "#!/bin/sh\\n" > "$root/bin/$f"; done\n'
        b'chmod +x "$root/bin/"*\n'
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(script)))
            self.end_headers()
            self.wfile.write(script)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_the_official_installer_fills_the_cache_and_a_second_run_reuses_it(
    tmp_path: Path, installer_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pulumi_cli, "INSTALLER_URL", installer_url)
    cache = tmp_path / "cache" / f"pulumi-{pulumi_cli.PINNED_VERSION}"

    first = pulumi_cli.provide(cache)
    assert first == cache / "bin"
    assert (cache / pulumi_cli.COMPLETE_STAMP).read_text().split() == [
        pulumi_cli.PINNED_VERSION,
        "install_official",
    ]
    assert sorted(path.name for path in cache.iterdir()) == [pulumi_cli.COMPLETE_STAMP, "bin"]

    monkeypatch.setattr(pulumi_cli, "INSTALLER_URL", "http://127.0.0.1:9/")  # no second install
    assert pulumi_cli.provide(cache) == first


def test_go_modules_replace_lines_keep_only_those_pointing_outside_the_monorepo(tmp_path: Path) -> None:
    mod = tmp_path / "go.mod"
    mod.write_text(
        "module github.com/pulumi/pulumi/pkg/v3\n\n"
        "replace github.com/pulumi/pulumi/sdk/v3 => ../sdk\n\n"
        "replace github.com/atotto/clipboard => "
        "github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e\n"
        "replace (\n\texample.com/a v1.0.0 => example.com/b v1.2.3\n)\n"
    )

    assert pulumi_cli.go_replaces(mod) == [
        "github.com/atotto/clipboard=github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e",
        "example.com/a=example.com/b@v1.2.3",
    ]
