"""Running the emulator: in-process on port 0, the CLI, loopback by default."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from support.emulator import EmulatorProcess
from vertex_tuning.cli.emulator import is_loopback
from vertex_tuning.emulator.server import EmulatorServer


def test_port_zero_reports_the_bound_port_and_stops_cleanly(tmp_path):
    server = EmulatorServer(tmp_path, job_seconds=1)
    with server:
        assert server.port > 0
        assert server.host_port == f"127.0.0.1:{server.port}"
        assert server.base_url == f"http://127.0.0.1:{server.port}"
        assert httpx.get(f"{server.base_url}/_emulator/stats").json()["jobs"] == 0
        url = server.base_url
    with pytest.raises(RuntimeError):
        _ = server.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_emulator/stats")
    assert (tmp_path / "emulator-state.sqlite3").exists()  # the default state file lives in the data dir


def test_the_fixture_gives_env_and_helpers(emulator):
    assert emulator.env == {"VERTEX_AI_EMULATOR_HOST": emulator.host_port}
    path = emulator.write_object("gs://b/x.jsonl", "{}\n")
    assert path.is_relative_to(emulator.data_dir)


def test_bad_job_seconds_are_refused(tmp_path):
    with pytest.raises(ValueError, match="job_seconds"):
        EmulatorServer(tmp_path, job_seconds=0)


@pytest.mark.parametrize(
    ("host", "private"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True), ("0.0.0.0", False),  # noqa: S104
     ("192.168.1.4", False), ("example.com", False)],
)  # fmt: skip
def test_only_loopback_hosts_count_as_private(host, private):
    assert is_loopback(host) is private


def test_cli_refuses_a_bad_fault_flag(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "vertex_tuning.emulator", "--fault", "nonsense", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "--fault" in result.stderr


def test_cli_help_lists_the_options():
    script = Path(sys.executable).parent / "vertex-tuning"
    result = subprocess.run([str(script), "emulator", "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    for option in (
        "--host",
        "--port",
        "--data-dir",
        "--state",
        "--job-seconds",
        "--fault",
        "--max-concurrent-jobs",
    ):
        assert option in result.stdout


def test_an_ipv6_loopback_address_is_bracketed(tmp_path):
    with EmulatorServer(tmp_path, host="::1") as server:
        assert server.host_port == f"[::1]:{server.port}"
        assert httpx.get(f"{server.base_url}/_emulator/stats").status_code == 200


def test_a_taken_port_is_a_clear_error(tmp_path):
    with EmulatorServer(tmp_path / "a") as first:
        second = EmulatorServer(tmp_path / "b", port=first.port)
        with pytest.raises(RuntimeError, match="did not start"):
            second.start()
        assert httpx.get(f"{first.base_url}/_emulator/stats").status_code == 200


def test_the_cli_quota_makes_a_second_job_wait_for_quota(tmp_path):
    running = EmulatorProcess(
        tmp_path / "quota", job_seconds=30, extra_args=("--max-concurrent-jobs", "1")
    ).start()
    try:
        first = running.create_job(version="v1beta1")
        second = running.create_job(version="v1beta1")
        assert first["tuningJobState"] == "TUNING_JOB_STATE_PROCESSING_DATASET"
        assert (
            running.get_job(second["name"], "v1beta1")["tuningJobState"]
            == "TUNING_JOB_STATE_WAITING_FOR_QUOTA"
        )
    finally:
        running.kill()
        running.close()


def test_an_unexpected_error_answers_internal_and_is_logged_with_its_route(emulator, monkeypatch, caplog):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(emulator.server.emulator.services.jobs, "get", broken)
    with caplog.at_level(logging.ERROR, logger="vertex_tuning.emulator.app"):
        response = httpx.get(f"{emulator.parent()}/tuningJobs/123")
    assert response.status_code == 500
    assert response.json()["error"]["status"] == "INTERNAL"
    assert "the disk is on fire" not in response.text  # the client learns only the exception's type
    (record,) = [r for r in caplog.records if r.name == "vertex_tuning.emulator.app"]
    assert "tuningJobs.get" in record.getMessage() and "GET" in record.getMessage()
    assert "/tuningJobs/123" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
