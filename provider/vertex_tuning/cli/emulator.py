"""`vertex-tuning emulator`: run the local Vertex AI tuning emulator in the foreground.

A problem starting it (port taken or invalid, data directory unusable, bad or unknown fault) is
one line on stderr with a hint, and exit code 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import errno
import ipaddress
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from ..emulator.faults import ANY_ROUTE, Fault, parse_fault
from ..emulator.server import DEFAULT_JOB_SECONDS, STATE_FILE_NAME, EmulatorServer
from . import app

BAD_START = 2
PORT_HINT = "use another --port, or --port 0 to pick a free one"


class StartProblem(Exception):
    """Why the emulator cannot start, as the one line to print."""


def start_problem(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(BAD_START)


def check_port(host: str, port: int) -> None:
    """A port in range that nothing listens on (checked by binding it, as the server will)."""
    if not 0 <= port <= 65535:
        raise StartProblem(f"--port {port} is not a port (0-65535); {PORT_HINT}")
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise StartProblem(f"port {port} on {host} is already in use; {PORT_HINT}") from None
            if error.errno == errno.EACCES:
                raise StartProblem(f"port {port} needs privileges on {host}; {PORT_HINT}") from None
            raise StartProblem(f"cannot listen on {host}:{port} ({error.strerror}); {PORT_HINT}") from None


def check_data_dir(data_dir: Path, state: Path | None) -> None:
    """A directory the emulator can create, read and write, and a writable state file."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StartProblem(f"--data-dir {data_dir} is a file, not a directory; give a directory") from None
    except OSError as error:
        raise StartProblem(
            f"cannot create --data-dir {data_dir} ({error.strerror}); give a directory you can write"
        ) from None
    if not os.access(data_dir, os.R_OK | os.W_OK | os.X_OK):
        raise StartProblem(f"--data-dir {data_dir} is not readable and writable; give one you can write")
    state_file = state or data_dir / STATE_FILE_NAME
    target = state_file if state_file.exists() else state_file.parent
    if not os.access(target, os.R_OK | os.W_OK):
        raise StartProblem(f"the state file {state_file} cannot be written; pass --state FILE elsewhere")


def faults_from(specs: list[str]) -> list[Fault]:
    """Each --fault parsed and its route checked against the emulator's routes."""
    from ..emulator.routes import ROUTES

    routes = sorted({route.name for route in ROUTES if not route.admin})  # admin routes take no faults
    faults: list[Fault] = []
    for spec in specs:
        try:
            fault = parse_fault(spec)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise StartProblem(f"--fault {spec!r}: {where + ': ' if where else ''}{first['msg']}") from None
        except ValueError as error:
            raise StartProblem(f"--fault {spec!r}: {error}") from None
        if fault.route != ANY_ROUTE and fault.route not in routes:
            raise StartProblem(
                f"--fault {spec!r}: no route {fault.route!r}; use {ANY_ROUTE} or one of {', '.join(routes)}"
            )
        faults.append(fault)
    return faults


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the emulator private to this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to bind; loopback unless you ask for another.")
    ] = "127.0.0.1",
    port: Annotated[str, typer.Option(help="Port to listen on; 0 picks a free one.")] = "8790",
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where gs://BUCKET/PATH lives: DIR/BUCKET/PATH.")
    ] = Path(".emulator"),
    state: Annotated[
        Path | None, typer.Option(help="SQLite state file (default: inside the data directory).")
    ] = None,
    job_seconds: Annotated[
        float, typer.Option("--job-seconds", min=0.05, help="How long a tuning job takes.")
    ] = DEFAULT_JOB_SECONDS,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help="Inject a fault: ROUTE:KIND[,key=value...], e.g. "
            "tuningJobs.get:status=503,times=3,retry_after=1 or tuningJobs.create:drop_after_commit. "
            "Repeatable."
        ),
    ] = None,
    max_concurrent_jobs: Annotated[
        int | None,
        typer.Option(
            "--max-concurrent-jobs",
            min=1,
            help="The project's quota of jobs tuning at once; later jobs wait (WAITING_FOR_QUOTA).",
        ),
    ] = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Serve the model catalogue of this day (YYYY-MM-DD), to replay older requests: "
            "--as-of 2024-11-01 tunes gemini-1.5-pro-002. Default: today.",
        ),
    ] = None,
) -> None:
    """Serve the Vertex AI tuning API locally; point clients at it with VERTEX_AI_EMULATOR_HOST."""
    try:
        if not port.strip().isdigit():
            raise StartProblem(f"--port {port!r} is not a port (0-65535); {PORT_HINT}")
        port_number = int(port)
        faults = faults_from(fault or [])
        check_port(host, port_number)
        check_data_dir(data_dir, state)
        server = EmulatorServer(
            data_dir,
            state_file=state,
            host=host,
            port=port_number,
            job_seconds=job_seconds,
            faults=faults,
            max_concurrent_jobs=max_concurrent_jobs,
            as_of=as_of.date() if as_of else None,
        )
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        server.start()
    except StartProblem as problem:
        raise start_problem(str(problem)) from None
    except RuntimeError as error:  # the port was taken between the check and the start
        raise start_problem(f"{error}; {PORT_HINT}") from None
    except OSError as error:
        raise start_problem(
            f"cannot start the emulator ({error.strerror or error}); check --data-dir"
        ) from None
    if not is_loopback(host):
        typer.secho(f"warning: listening on {host}, reachable from other machines", err=True, fg="yellow")
    try:
        # One parseable line, so scripts and tests learn the port (useful with --port 0).
        typer.echo(f"Vertex AI tuning emulator listening on {server.base_url}", err=False)
        typer.echo(f"export VERTEX_AI_EMULATOR_HOST={server.host_port}")
        stop.wait()
    finally:
        server.stop()


app.command("emulator")(serve)


def run() -> None:
    typer.run(serve)
