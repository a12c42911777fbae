"""Run the emulator: uvicorn serving the app, in a background thread or in the foreground."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from .app import DEFAULT_MAX_BODY_BYTES, Emulator
from .faults import Fault
from .jobs import JobService
from .storage import DataDir
from .store import Store

DEFAULT_JOB_SECONDS = 10.0
STATE_FILE_NAME = "emulator-state.sqlite3"
_START_TIMEOUT = 15.0


class EmulatorServer:
    """The emulator on `host:port` (port 0 picks a free one; `.base_url` tells which)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        state_file: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        job_seconds: float = DEFAULT_JOB_SECONDS,
        faults: list[Fault] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_concurrent_jobs: int | None = None,
        as_of: dt.date | None = None,
    ) -> None:
        if job_seconds <= 0:
            raise ValueError(f"job_seconds must be positive, got {job_seconds}")
        if max_concurrent_jobs is not None and max_concurrent_jobs < 1:
            raise ValueError(f"max_concurrent_jobs must be at least 1, got {max_concurrent_jobs}")
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.state_file = Path(state_file) if state_file else self.data_dir / STATE_FILE_NAME
        self.host = host
        self.requested_port = port
        self.job_seconds = job_seconds
        self.initial_faults = list(faults or [])
        self.max_body_bytes = max_body_bytes
        self.max_concurrent_jobs = max_concurrent_jobs
        self.as_of = as_of  # serve the model catalogue of this day (None: today)
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._store: Store | None = None
        self.emulator: Emulator | None = None

    # --- addresses -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not running")
        return self._port

    @property
    def host_port(self) -> str:
        """The value for VERTEX_AI_EMULATOR_HOST (an IPv6 address in brackets, as in URLs)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host_port}"

    # --- running -------------------------------------------------------------------------------

    def build(self) -> uvicorn.Server:
        self._store = Store(self.state_file)
        jobs = JobService(
            self._store,
            DataDir(self.data_dir),
            job_seconds=self.job_seconds,
            max_concurrent_jobs=self.max_concurrent_jobs,
            as_of=self.as_of,
        )
        self.emulator = Emulator(jobs, max_body_bytes=self.max_body_bytes)
        for fault in self.initial_faults:
            self.emulator.faults.add(fault)
        config = uvicorn.Config(
            self.emulator,
            host=self.host,
            port=self.requested_port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        return self._server

    def start(self) -> EmulatorServer:
        server = self.build()
        self._thread = threading.Thread(
            target=self._run, args=(server,), name="vertex-tuning-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the emulator did not start on {self.host}:{self.requested_port} "
                    "(is the port taken? uvicorn's log above says why)"
                )
            time.sleep(0.01)
        self._port = bound_port(server)
        return self

    @staticmethod
    def _run(server: uvicorn.Server) -> None:
        # uvicorn exits the process on a failed bind; in a thread, that only ends the thread.
        with contextlib.suppress(SystemExit):
            server.run()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None
        self._server = None
        self._port = None
        self._close_store()

    def _close_store(self) -> None:
        if self._store is not None:
            if self.emulator is not None:  # what reads decided is kept across a clean restart
                self.emulator.jobs.outcomes.settle()
            self._store.close()
            self._store = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def bound_port(server: uvicorn.Server) -> int:
    """The port the server really listens on (what port 0 turned into)."""
    for listener in server.servers:
        for sock in listener.sockets:
            return int(sock.getsockname()[1])
    raise RuntimeError("the emulator has no listening socket")
