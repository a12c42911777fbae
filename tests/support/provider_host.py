"""Drive the REAL Pulumi dynamic-provider host over gRPC, the way the engine does.

`ProviderHost` starts `python -u -m pulumi.dynamic` (the stock host the Pulumi CLI runs for
dynamic providers), reads its port from the first stdout line and offers plain-Python methods
mirroring the engine's calls. Properties go through the SDK's own `rpc.serialize_properties` /
`rpc.deserialize_properties`, so numbers come back as floats and unknowns travel as the engine's
sentinel (`rpc.UNKNOWN`) exactly as in `pulumi preview`. Every non-empty property bag gets the
pickled provider under `__provider` unless the caller supplies one (e.g. a different blob, as after
a package upgrade).

    with ProviderHost(TuningJobProvider(), env=emulator.env) as host:
        host.configure({"gcp:project": "demo"})
        inputs, failures = host.check({}, {"base_model": "gemini-3.1-flash-lite", ...})
        job_id, outs = host.create(inputs)
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PROVIDER_KEY = "__provider"
UNKNOWN = rpc.UNKNOWN
"""The engine's marker for a value not known yet (preview). Use it in inputs; results carry it too."""

# The directory holding `support/`: on the host's PYTHONPATH so test-local providers (the toy
# provider) unpickle by reference, as the package's provider does from site-packages.
_TESTS_DIR = Path(__file__).resolve().parent.parent
_RESOURCE_TYPE = "pulumi-python:dynamic:Resource"


class HostCallError(Exception):
    """A provider-host RPC failed; `details` is what `pulumi up` would show (usually a traceback)."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{method} failed with {code.name}: {details}")
        self.method = method
        self.code = code
        self.details = details


@dataclass(frozen=True)
class HostDiff:
    """The engine's view of a DiffResponse: `changes` is None when the provider left it to the engine."""

    changes: bool | None
    replaces: list[str]
    delete_before_replace: bool
    response: provider_pb2.DiffResponse = field(repr=False)


def _to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    # A private loop, as the host itself does: asyncio.run would also clear the thread's current
    # event loop, which Pulumi's mocks in later tests of the same worker rely on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()


def _restore_unknowns(value: Any) -> Any:
    """Map the SDK's `Unknown()` objects back to the wire sentinel so callers compare plain values."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {key: _restore_unknowns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_restore_unknowns(item) for item in value]
    return value


def _from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    props = rpc.deserialize_properties(struct, keep_unknowns=True)
    return dict(_restore_unknowns(props))


class ProviderHost:
    """One stock provider-host process and a gRPC stub to it; a context manager that cleans up."""

    def __init__(
        self,
        provider: ResourceProvider,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        call_timeout: float | None = 300.0,
        start_timeout: float = 30.0,
    ) -> None:
        self.provider_blob = serialize_provider(provider)
        self.call_timeout = call_timeout
        self._env = self._host_env(env or {})
        self._cwd = cwd
        self._start_timeout = start_timeout
        # A file, not a pipe: the host flushes its stderr before it answers, so everything a call
        # printed is readable the moment the call returns (a pipe-reading thread could lag behind).
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (readable after the host stops; closed by GC)
        self._stdout: list[str] = []
        self._lines_lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self.port: int | None = None

    # -- process lifecycle -------------------------------------------------------------------

    @staticmethod
    def _host_env(extra: Mapping[str, str]) -> dict[str, str]:
        env = {**os.environ, **extra}
        paths = [str(_TESTS_DIR), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        return env

    def start(self) -> ProviderHost:
        if self._process is not None:
            raise RuntimeError("this ProviderHost is already started")
        self._process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            stdin=subprocess.DEVNULL,
            env=self._env,
            cwd=self._cwd,
            text=True,
            bufsize=1,
        )
        first_line: queue.Queue[str] = queue.Queue(maxsize=1)
        self._pump(self._process.stdout, self._stdout, first_line)
        try:
            port_line = first_line.get(timeout=self._start_timeout)
        except queue.Empty:
            self.kill()
            raise RuntimeError(f"provider host printed no port in {self._start_timeout}s") from None
        if not port_line.strip().isdigit():
            self.kill()
            raise RuntimeError(f"provider host failed to start:\n{self.stderr_text()}")
        self.port = int(port_line)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    def _pump(self, stream: Any, sink: list[str], first: queue.Queue[str]) -> None:
        """Read stdout line by line on a daemon thread; hand the first line (the port) to `first`."""

        def run() -> None:
            for line in stream:
                if first.empty() and not sink:
                    first.put(line)
                with self._lines_lock:
                    sink.append(line.rstrip("\n"))
            if first.empty():
                first.put("")  # the host died before printing its port

        threading.Thread(target=run, name="provider-host-pipe", daemon=True).start()

    @property
    def pid(self) -> int:
        return self._require_process().pid

    @property
    def returncode(self) -> int | None:
        return self._require_process().poll()

    def kill(self) -> None:
        """SIGKILL, as the engine does after its shutdown grace period."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._close_channel()

    def stop(self, grace: float = 5.0) -> None:
        """SIGINT, then SIGKILL after `grace` seconds: the engine's shutdown sequence."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_channel()

    def _close_channel(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
            self._stub = None

    def __enter__(self) -> ProviderHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _require_process(self) -> subprocess.Popen[str]:
        if self._process is None:
            raise RuntimeError("the provider host is not started")
        return self._process

    # -- captured output -----------------------------------------------------------------------

    @property
    def stderr_lines(self) -> list[str]:
        """Everything the host has written to stderr so far, including what the last call printed."""
        descriptor = self._stderr.fileno()
        # pread leaves the file offset, which the host shares and writes at, untouched.
        written = os.pread(descriptor, os.fstat(descriptor).st_size, 0)
        return written.decode(errors="replace").splitlines()

    def stderr_text(self) -> str:
        return "\n".join(self.stderr_lines)

    @property
    def stdout_lines(self) -> list[str]:
        """Everything the host printed to stdout after its port line."""
        with self._lines_lock:
            return list(self._stdout[1:])

    def wait_for_stderr(self, predicate: Callable[[str], bool], timeout: float = 30.0) -> str:
        """Block until a stderr line satisfies `predicate`; returns that line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.stderr_lines:
                if predicate(line):
                    return line
            time.sleep(0.02)
        raise TimeoutError(f"no matching stderr line in {timeout}s; stderr so far:\n{self.stderr_text()}")

    # -- the engine's calls ----------------------------------------------------------------------

    def _with_provider(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """The engine's bags carry the blob; an empty bag (a new resource's olds) does not."""
        bag = dict(props)
        if bag and PROVIDER_KEY not in bag:
            bag[PROVIDER_KEY] = self.provider_blob
        return bag

    def _struct(self, props: Mapping[str, Any]) -> struct_pb2.Struct:
        return _to_struct(self._with_provider(props))

    def _call(self, method: str, request: Any, timeout: float | None = None) -> Any:
        if self._stub is None:
            raise RuntimeError("the provider host is not started")
        try:
            return getattr(self._stub, method)(request, timeout=timeout or self.call_timeout)
        except grpc.RpcError as error:
            raise HostCallError(method, error.code(), error.details() or "") from None

    @staticmethod
    def urn(name: str = "res", stack: str = "dev", project: str = "test") -> str:
        return f"urn:pulumi:{stack}::{project}::{_RESOURCE_TYPE}::{name}"

    def plugin_info(self) -> str:
        return str(self._call("GetPluginInfo", empty_pb2.Empty()).version)

    def configure(self, config: Mapping[str, str]) -> None:
        """Configure with the whole stack config: namespaced keys such as "gcp:project"."""
        request = provider_pb2.ConfigureRequest(
            args=_to_struct(config), acceptSecrets=True, acceptResources=True
        )
        self._call("Configure", request)

    def check(
        self, olds: Mapping[str, Any], news: Mapping[str, Any], *, name: str = "res"
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Returns (checked inputs, [(property, reason), ...])."""
        request = provider_pb2.CheckRequest(
            urn=self.urn(name), olds=self._struct(olds), news=self._struct(news), name=name
        )
        response = self._call("Check", request)
        failures = [(failure.property, failure.reason) for failure in response.failures]
        return _from_struct(response.inputs), failures

    def diff(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], *, name: str = "res"
    ) -> HostDiff:
        """`olds` are the OLD OUTPUTS, as the engine sends them."""
        request = provider_pb2.DiffRequest(
            id=id_, urn=self.urn(name), olds=self._struct(olds), news=self._struct(news), name=name
        )
        response = self._call("Diff", request)
        changes = {
            provider_pb2.DiffResponse.DIFF_SOME: True,
            provider_pb2.DiffResponse.DIFF_NONE: False,
        }.get(response.changes)
        return HostDiff(changes, list(response.replaces), response.deleteBeforeReplace, response)

    def create(
        self, props: Mapping[str, Any], *, name: str = "res", timeout: float | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Returns (id, outputs); outputs include `__provider`, as the engine stores them."""
        request = provider_pb2.CreateRequest(urn=self.urn(name), properties=self._struct(props), name=name)
        response = self._call("Create", request, timeout)
        return response.id, _from_struct(response.properties)

    def read(
        self,
        id_: str,
        props: Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        *,
        name: str = "res",
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Refresh passes old outputs (and inputs); a get passes `props={}` and the inputs only.

        Returns (id, outputs, inputs or None when the provider returned none); id "" = gone."""
        request = provider_pb2.ReadRequest(
            id=id_, urn=self.urn(name), properties=self._struct(props), name=name
        )
        if inputs is not None:
            request.inputs.CopyFrom(self._struct(inputs))
        response = self._call("Read", request)
        new_inputs = _from_struct(response.inputs) if response.HasField("inputs") else None
        return response.id, _from_struct(response.properties), new_inputs

    def update(
        self,
        id_: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        name: str = "res",
        timeout: float | None = None,
    ) -> dict[str, Any]:
        request = provider_pb2.UpdateRequest(
            id=id_, urn=self.urn(name), olds=self._struct(olds), news=self._struct(news), name=name
        )
        return _from_struct(self._call("Update", request, timeout).properties)

    def delete(
        self, id_: str, props: Mapping[str, Any], *, name: str = "res", timeout: float | None = None
    ) -> None:
        request = provider_pb2.DeleteRequest(
            id=id_, urn=self.urn(name), properties=self._struct(props), name=name
        )
        self._call("Delete", request, timeout)


HostFactory = Callable[..., ProviderHost]


@pytest.fixture
def provider_host() -> Iterator[HostFactory]:
    """Factory: `provider_host(provider, env=..., cwd=...)` -> a started ProviderHost, stopped afterwards.

    Register it in a conftest with `from support.provider_host import provider_host`."""
    hosts: list[ProviderHost] = []

    def start(provider: ResourceProvider, **options: Any) -> ProviderHost:
        host = ProviderHost(provider, **options)
        hosts.append(host)
        return host.start()

    yield start
    for host in hosts:
        host.kill()
