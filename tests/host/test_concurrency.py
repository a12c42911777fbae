"""The provider host runs many operations at once (design decision 8), or says clearly that it cannot.

Concurrency is proven by what the toy provider saw in flight, never by timing; the wall-clock
ratio is printed for the record (`pytest -s`)."""

from __future__ import annotations

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import grpc._server
import pytest

from support.provider_host import HostFactory, ProviderHost
from support.toy_provider import ToyProvider
from vertex_tuning import concurrency
from vertex_tuning.concurrency import max_concurrent_operations, widen_host_worker_pool

FALLBACK_LINE = "the provider runs at the stock four concurrent operations"


def _concurrent_creates(
    host: ProviderHost, count: int, seconds: float = 1.0
) -> tuple[float, list[dict[str, Any]]]:
    started = time.monotonic()
    with ThreadPoolExecutor(count) as callers:
        results = list(callers.map(lambda i: host.create({"sleep_seconds": seconds, "i": i}), range(count)))
    return time.monotonic() - started, [outs for _, outs in results]


def _peak(outs: list[dict[str, Any]]) -> int:
    return int(max(out["peak_in_flight"] for out in outs))


@pytest.mark.slow
def test_sixteen_creates_run_at_once_in_the_widened_host(provider_host: HostFactory) -> None:
    host = provider_host(ToyProvider(widen=True))
    host.configure({})
    host.check({}, {"sleep_seconds": 0})  # the engine checks first: that configures the provider

    elapsed, outs = _concurrent_creates(host, 16)

    assert _peak(outs) > 4
    assert "toy: widened=True" in host.stderr_lines
    print(f"16 concurrent 1 s creates, widened host: {elapsed:.2f} s, peak in flight {_peak(outs)}")


@pytest.mark.slow
def test_the_stock_host_runs_four_at_a_time(provider_host: HostFactory) -> None:
    host = provider_host(ToyProvider(widen=False))
    host.configure({})

    elapsed, outs = _concurrent_creates(host, 8)

    assert _peak(outs) == 4  # if this fails, Pulumi changed its host: revisit decision 8
    print(f"8 concurrent 1 s creates, stock host: {elapsed:.2f} s, peak in flight {_peak(outs)}")


def _creates_in_flight_seen_by_a_check(host: ProviderHost) -> int:
    """Start four long creates, then check a fifth resource: how many creates were running then."""
    host.configure({})
    host.check({}, {"sleep_seconds": 0})
    with ThreadPoolExecutor(4) as callers:
        creates = [callers.submit(host.create, {"sleep_seconds": 3, "i": index}) for index in range(4)]
        deadline = time.monotonic() + 30
        while _count(host, "toy: creating") < 4:
            failed = [create for create in creates if create.done() and create.exception()]
            if failed:
                failed[0].result()  # a create that failed before starting: raise its error, not a timeout
            assert time.monotonic() < deadline, f"four creates never started:\n{host.stderr_text()}"
            time.sleep(0.02)
        inputs, _ = host.check({}, {"sleep_seconds": 0, "name": "fifth"})
    return int(inputs["creates_in_flight"])


def _count(host: ProviderHost, prefix: str) -> int:
    return sum(line.startswith(prefix) for line in host.stderr_lines)


@pytest.mark.slow
def test_a_check_is_answered_while_four_creates_wait(provider_host: HostFactory) -> None:
    assert _creates_in_flight_seen_by_a_check(provider_host(ToyProvider(widen=True))) == 4


@pytest.mark.slow
def test_in_the_stock_host_a_check_waits_behind_four_creates(provider_host: HostFactory) -> None:
    # With four creates waiting, even another resource's Check queues until one ends: why the
    # provider widens the host.
    assert _creates_in_flight_seen_by_a_check(provider_host(ToyProvider(widen=False))) < 4


@pytest.mark.slow
def test_calls_queued_while_the_provider_configures_get_workers_too(provider_host: HostFactory) -> None:
    # A destroy sends its deletes with no checks first: the first call configures (slowly here)
    # while the others queue behind the four stock workers.
    host = provider_host(ToyProvider(widen=True))
    host.configure({"toy:configureDelay": "0.5"})

    _, outs = _concurrent_creates(host, 8)

    assert _peak(outs) == 8


@pytest.mark.slow
def test_the_configured_target_is_honoured(provider_host: HostFactory) -> None:
    host = provider_host(ToyProvider(widen=True))
    host.configure({"vertex-tuning:maxConcurrentOperations": "6"})
    host.check({}, {"sleep_seconds": 0})

    _, outs = _concurrent_creates(host, 10)

    assert _peak(outs) == 6


@pytest.mark.slow
def test_an_unexpected_host_layout_falls_back_loudly_and_still_works(provider_host: HostFactory) -> None:
    host = provider_host(ToyProvider(widen=True, break_layout=True))
    host.configure({})
    host.check({}, {"sleep_seconds": 0})

    _, outs = _concurrent_creates(host, 6, seconds=0.3)

    assert len(outs) == 6
    assert _peak(outs) <= 4
    notices = [line for line in host.stderr_lines if FALLBACK_LINE in line]
    assert len(notices) == 1
    assert "grpc._server._ServerState not found" in notices[0]
    assert "toy: widened=False" in host.stderr_lines


def test_outside_the_host_it_does_nothing_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    assert widen_host_worker_pool() is False
    assert capsys.readouterr() == ("", "")


@pytest.fixture
def in_process_server(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A grpc server built like the host's, in this process, with the host check bypassed."""
    monkeypatch.setattr(concurrency, "running_in_provider_host", lambda: True)
    pool = ThreadPoolExecutor(max_workers=4)
    server = grpc.server(pool)
    server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield pool
    server.stop(None)
    pool.shutdown()


def test_widening_is_idempotent_thread_safe_and_never_lowers(in_process_server: ThreadPoolExecutor) -> None:
    barrier = threading.Barrier(8)

    def widen(workers: int) -> bool:
        barrier.wait()
        return widen_host_worker_pool(workers)

    with ThreadPoolExecutor(8) as callers:
        results = list(callers.map(widen, [16, 32, 32, 32, 16, 32, 32, 16]))

    assert results == [True] * 8
    assert in_process_server._max_workers == 32
    assert widen_host_worker_pool(8) is True
    assert in_process_server._max_workers == 32


def test_a_host_without_a_started_server_is_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(concurrency, "running_in_provider_host", lambda: True)

    assert widen_host_worker_pool() is False
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "expected one started grpc server, found 0" in err
    assert FALLBACK_LINE in err


def test_a_server_on_another_executor_type_is_reported(
    in_process_server: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class FutureExecutor:
        """What a future grpc might use instead of a ThreadPoolExecutor."""

    # This server's state: other tests in the worker (engine runs) may leave stopped servers behind.
    states = [obj for obj in gc.get_objects() if type(obj) is grpc._server._ServerState]
    (state,) = [obj for obj in states if obj.thread_pool is in_process_server]
    monkeypatch.setattr(state, "thread_pool", FutureExecutor())

    assert widen_host_worker_pool() is False
    assert "server thread pool is FutureExecutor, not ThreadPoolExecutor" in capsys.readouterr().err
    assert in_process_server._max_workers == 4


@pytest.mark.parametrize(
    ("config_value", "env_value", "expected"),
    [("32", None, 32), (12.0, None, 12), (None, "8", 8), ("", "8", 8), (None, None, 64), ("100", "8", 100)],
)
def test_the_target_comes_from_config_then_environment_then_default(
    monkeypatch: pytest.MonkeyPatch, config_value: object, env_value: str | None, expected: int
) -> None:
    monkeypatch.delenv(concurrency.ENV_VAR, raising=False)
    if env_value is not None:
        monkeypatch.setenv(concurrency.ENV_VAR, env_value)

    assert max_concurrent_operations(config_value) == expected


@pytest.mark.parametrize("bad", ["many", "0", "2.5", "5000", "-1"])
def test_a_bad_target_names_the_setting(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="vertex-tuning:maxConcurrentOperations must be a whole number"):
        max_concurrent_operations(bad)
    monkeypatch.setenv(concurrency.ENV_VAR, bad)
    with pytest.raises(ValueError, match=concurrency.ENV_VAR):
        max_concurrent_operations(None)
