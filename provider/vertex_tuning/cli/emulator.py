"""`vertex-tuning emulator`: run the local Vertex AI tuning emulator in the foreground."""

from __future__ import annotations

import datetime as dt
import ipaddress
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from ..emulator.faults import parse_fault
from ..emulator.server import DEFAULT_JOB_SECONDS, EmulatorServer
from . import app


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
    port: Annotated[int, typer.Option(help="Port to listen on; 0 picks a free one.")] = 8790,
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
        faults = [parse_fault(spec) for spec in fault or []]
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--fault") from None
    if not is_loopback(host):
        typer.secho(f"warning: listening on {host}, reachable from other machines", err=True, fg="yellow")
    server = EmulatorServer(
        data_dir,
        state_file=state,
        host=host,
        port=port,
        job_seconds=job_seconds,
        faults=faults,
        as_of=as_of.date() if as_of else None,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
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
