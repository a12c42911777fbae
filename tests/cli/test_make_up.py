"""`make up` (scripts/up.py): finding or installing Pulumi, the one-line stop, and the whole run.

The Pulumi CLI cannot be installed here, so the full run uses a stand-in `pulumi` on PATH that does
what the quickstart's `pulumi up` does against the emulator (create the job, wait, export the
endpoint). Everything else is real: the emulator process, seeding through the Cloud Storage
upload route, the environment handed to Pulumi, and the prompt through the operator CLI.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import shutil
import socket
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

REPO = Path(__file__).parents[2]


def load_up() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_up_script", REPO / "scripts" / "up.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


up = load_up()


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def test_pulumi_on_path_comes_first_then_the_projects_own(tmp_path):
    on_path = executable(tmp_path / "bin" / "pulumi", "#!/bin/sh\n")
    installed = executable(tmp_path / "root" / ".pulumi" / "bin" / "pulumi", "#!/bin/sh\n")

    assert up.find_pulumi(tmp_path / "root", str(on_path.parent)) == on_path
    assert up.find_pulumi(tmp_path / "root", str(tmp_path / "empty")) == installed
    assert up.find_pulumi(tmp_path / "elsewhere", str(tmp_path / "empty")) is None


def test_without_pulumi_or_internet_it_stops_with_one_clear_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    code = up.main(tmp_path, installer_url=closed_port_url())

    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [up.INSTALL_HINT]
    assert "https://www.pulumi.com/docs/install/" in err
    assert not (tmp_path / ".emulator").exists()  # stopped before starting anything


@pytest.fixture
def installer_server(tmp_path: Path) -> Iterator[str]:
    """Serves a stand-in for Pulumi's installer: it honours --install-root like the real one."""
    script = (
        b"#!/bin/sh\nset -e\n"
        b'while [ $# -gt 0 ]; do case "$1" in --install-root) root="$2"; shift 2;; *) shift;; esac; done\n'
        b'mkdir -p "$root/bin"\nprintf "#!/bin/sh\\necho v3.999.0\\n" > "$root/bin/pulumi"\n'
        b'chmod +x "$root/bin/pulumi"\n'
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


def test_the_installer_puts_pulumi_inside_the_project(tmp_path, installer_server):
    installed = up.install_pulumi(tmp_path, installer_url=installer_server)

    assert installed == tmp_path / ".pulumi" / "bin" / "pulumi"
    assert installed is not None and installed.is_file()


FAKE_PULUMI = """#!{python}
# Stands in for `pulumi` in the make-up test: records each call, and for `up` does what the
# quickstart's TuningJob does against the emulator.
import json, os, sys, time
from pathlib import Path

state = Path(os.environ["PULUMI_BACKEND_URL"].removeprefix("file://"))
keys = ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "VERTEX_AI_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT")
with (state / "calls.jsonl").open("a") as calls:
    calls.write(json.dumps({{"args": sys.argv[1:], "env": {{k: os.environ.get(k) for k in keys}}}}) + "\\n")
args = sys.argv[1:]
if args[0] == "up":
    from vertex_tuning.client import VertexClient
    from vertex_tuning.settings import resolve_settings
    from vertex_tuning.wire import SupervisedTuningSpec, TuningJob
    settings = resolve_settings()
    spec = SupervisedTuningSpec(training_dataset_uri="{dataset}")
    with VertexClient(settings) as client:
        request = TuningJob(base_model="gemini-3.1-flash-lite", supervised_tuning_spec=spec)
        job = client.create_tuning_job(settings.project, settings.location, request)
        while not job.job_state.is_terminal:
            time.sleep(0.1)
            job = client.get_tuning_job(job.name)
    (state / "endpoint").write_text(job.tuned_model.endpoint)
elif args[:3] == ["stack", "output", "endpoint"]:
    print((state / "endpoint").read_text())
"""


@pytest.mark.slow
def test_make_up_tunes_the_quickstart_and_prints_the_answer(tmp_path, monkeypatch, capsys):
    root = tmp_path / "clone"
    shutil.copytree(REPO / "quickstart", root / "quickstart")
    bin_dir = tmp_path / "bin"
    executable(bin_dir / "pulumi", FAKE_PULUMI.format(python=sys.executable, dataset=up.DATASET_URI))
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)

    code = up.main(root, installer_url=closed_port_url(), job_seconds=0.3)

    out = capsys.readouterr().out
    assert code == 0, out
    calls = [json.loads(line) for line in (root / ".pulumi-state" / "calls.jsonl").read_text().splitlines()]
    assert [call["args"] for call in calls] == [
        ["stack", "select", "dev", "--create"],
        ["up", "--yes", "--stack", "dev"],
        ["stack", "output", "endpoint", "--stack", "dev"],
    ]
    env = calls[1]["env"]
    assert env["PULUMI_BACKEND_URL"] == (root / ".pulumi-state").as_uri()
    assert env["PULUMI_CONFIG_PASSPHRASE"]
    assert env["GOOGLE_CLOUD_PROJECT"] == up.QUICKSTART_PROJECT
    endpoint = (root / ".pulumi-state" / "endpoint").read_text()
    assert f"Tuned endpoint: {endpoint}" in out
    # The emulator answers with the training example closest to the prompt.
    lines = (root / "quickstart" / "data" / "train.jsonl").read_text().splitlines()
    training = [json.loads(line) for line in lines]
    expected = next(e for e in training if e["contents"][0]["parts"][0]["text"] == up.PROMPT)
    assert f"Answer: {expected['contents'][1]['parts'][0]['text']}" in out
    # The emulator ran from the project's .emulator/ and is stopped afterwards.
    assert (root / ".emulator" / "quickstart" / "support-bot" / "train.jsonl").is_file()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://{env['VERTEX_AI_EMULATOR_HOST']}/v1/projects/p/locations/us-central1/tuningJobs")
