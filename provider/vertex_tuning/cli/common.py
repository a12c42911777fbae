"""What every operator command shares: global options, settings, the client, errors and exit codes.

Exit codes scripts can rely on:
  0  success (and, for `jobs watch`, the job SUCCEEDED)
  1  the service or the job failed: an API error, no answer, a job that ended FAILED/CANCELLED/EXPIRED
  2  usage or bad input: unknown option, invalid name, missing settings, a dataset with problems
  130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ..client import RetryPolicy, VertexClient
from ..errors import ConfigurationError, VertexTuningError
from ..settings import Settings, resolve_settings
from . import app

# Someone is waiting at a terminal: a few quick retries, not the provider's five-minute budget.
CLI_RETRY = RetryPolicy(max_attempts=3, budget=20.0, initial_backoff=0.5, max_backoff=5.0)


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    BAD_INPUT = 2
    INTERRUPTED = 130


# Console writes to whatever sys.stdout/sys.stderr are at print time (so test runners capture it).
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class GlobalOptions:
    project: str | None = None
    location: str | None = None


EXIT_CODES_HELP = "Exit codes: 0 ok, 1 the service or the job failed, 2 usage or bad input, 130 interrupted."


@app.callback(epilog=EXIT_CODES_HELP)
def global_options(
    ctx: typer.Context,
    project: Annotated[
        str | None,
        typer.Option(
            "--project", "-p", help="Google Cloud project (default: GOOGLE_CLOUD_PROJECT, then ADC)."
        ),
    ] = None,
    location: Annotated[
        str | None,
        typer.Option(
            "--location", "-l", help="Vertex AI region (default: GOOGLE_CLOUD_LOCATION, then us-central1)."
        ),
    ] = None,
) -> None:
    """Options every command takes; VERTEX_AI_EMULATOR_HOST=host:port selects the local emulator."""
    ctx.obj = GlobalOptions(project=project, location=location)


def fail(message: str, code: ExitCode) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    # Messages quote the service and files, which may hold `[...]`: never read them as markup.
    errors.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(int(code))


@contextmanager
def reported_errors() -> Iterator[None]:
    """Expected failures become one line on stderr and a documented exit code, never a traceback."""
    try:
        yield
    except ConfigurationError as error:
        raise fail(str(error), ExitCode.BAD_INPUT) from None
    except VertexTuningError as error:
        raise fail(str(error), ExitCode.FAILED) from None
    except KeyboardInterrupt:
        raise fail("interrupted", ExitCode.INTERRUPTED) from None


def options(ctx: typer.Context) -> GlobalOptions:
    found = ctx.find_object(GlobalOptions)
    return found if found is not None else GlobalOptions()


def resolved_settings(
    ctx: typer.Context, *, project: str | None = None, location: str | None = None
) -> Settings:
    """Settings from a full resource name's project and location, then --project/--location, then
    the environment (decision 7; no stack config here)."""
    chosen = options(ctx)
    return resolve_settings(
        project=project or chosen.project, location=location or chosen.location, environ=os.environ
    )


def api_client(settings: Settings) -> VertexClient:
    return VertexClient(settings, retry=CLI_RETRY)
