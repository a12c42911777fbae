"""What every operator command shares: global options, settings, the client, errors and exit codes.

Exit codes scripts can rely on:
  0  success (and, for `jobs watch` and `jobs create --wait`, the job SUCCEEDED)
  1  the service or the job failed: an API error, no answer, a job that ended FAILED/CANCELLED/EXPIRED
  2  usage or bad input: unknown option, invalid name, missing settings, a dataset with problems
  130 interrupted (Ctrl-C)

Global options may come before or after the command, as with gcloud: `vertex-tuning jobs list
--project p --format json` is `vertex-tuning --project p --format json jobs list`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from .. import progress
from ..client import RetryNotice, RetryPolicy, VertexClient
from ..errors import ConfigurationError, VertexTuningError
from ..names import EndpointName, TuningJobName
from ..settings import Settings, resolve_settings
from . import app
from .output import OutputFormat, parse_format

_Name = TypeVar("_Name", TuningJobName, EndpointName)

# Someone is waiting at a terminal: a few quick retries, not the provider's five-minute budget.
# Waits (`jobs watch`, `--wait`) ride longer outages with the provider's own wait (lifecycle).
CLI_RETRY = RetryPolicy(max_attempts=3, budget=20.0, initial_backoff=0.5, max_backoff=5.0)


class ExitCode:
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
    impersonate_service_account: str | None = None
    format: OutputFormat | None = None
    """None: each command's default (a table)."""


EXIT_CODES_HELP = "Exit codes: 0 ok, 1 the service or the job failed, 2 usage or bad input, 130 interrupted."


def package_version() -> str:
    try:
        return version("pulumi-vertex-tuning")
    except PackageNotFoundError:  # run from a source tree without installing
        from .. import __version__

        return __version__


def show_version(value: bool) -> None:
    if value:
        console.print(f"vertex-tuning {package_version()}", markup=False)
        raise typer.Exit(0)


def format_option(value: str | None) -> OutputFormat | None:
    if value is None:
        return None
    try:
        return parse_format(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


@app.callback(epilog=EXIT_CODES_HELP)
def global_options(
    ctx: typer.Context,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-p",
            help="Google Cloud project (default: GOOGLE_PROJECT, GOOGLE_CLOUD_PROJECT, ..., then ADC).",
        ),
    ] = None,
    location: Annotated[
        str | None,
        typer.Option(
            "--location",
            "-l",
            help="Vertex AI region (default: GOOGLE_CLOUD_LOCATION, GOOGLE_REGION, ..., then us-central1).",
        ),
    ] = None,
    impersonate_service_account: Annotated[
        str | None,
        typer.Option(
            "--impersonate-service-account",
            help="Call the API as this service account (default: GOOGLE_IMPERSONATE_SERVICE_ACCOUNT).",
        ),
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Output: table (default), json, yaml, or value(FIELD,...) with dotted camelCase fields.",
        ),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Options every command takes, before or after it; VERTEX_AI_EMULATOR_HOST=host:port selects the
    local emulator."""
    ctx.obj = GlobalOptions(
        project=project,
        location=location,
        impersonate_service_account=impersonate_service_account,
        format=format_option(output_format),
    )


def fail(message: str, code: int) -> typer.Exit:
    """Print one clear line on stderr and return the exit to raise."""
    # Messages quote the service and files, which may hold `[...]`: never read them as markup.
    errors.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(int(code))


def note(message: str) -> None:
    """A line for the person at the terminal (stderr: stdout stays the command's output)."""
    progress.stderr_line(message)


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


def chosen_format(ctx: typer.Context, as_json: bool = False) -> OutputFormat:
    """`--format`, else `--json` (kept for scripts written before `--format`), else a table."""
    chosen = options(ctx).format
    if chosen is not None:
        return chosen
    return parse_format("json" if as_json else "table")


def resolved_settings(
    ctx: typer.Context, *, project: str | None = None, location: str | None = None
) -> Settings:
    """Settings from a full resource name's project and location, then --project/--location, then
    the environment (decision 7; no stack config here)."""
    chosen = options(ctx)
    return resolve_settings(
        project=project or chosen.project,
        location=location or chosen.location,
        environ=os.environ,
        impersonate_service_account=chosen.impersonate_service_account,
    )


def named_settings(ctx: typer.Context, value: str, kind: type[_Name]) -> tuple[Settings, _Name]:
    """Settings and the full name of a job or endpoint, from a bare ID in the configured project and
    location, or from a full name, which says where it is (no project need be configured for it)."""
    if value.isdigit():
        settings = resolved_settings(ctx)
        return settings, kind(settings.project, settings.location, value)
    name = kind.parse(value)
    return resolved_settings(ctx, project=name.project, location=name.location), name


def retry_note(notice: RetryNotice) -> None:
    progress.retry_line(notice, note)


def api_client(settings: Settings, **extra: Any) -> VertexClient:
    return VertexClient(settings, retry=CLI_RETRY, on_retry=retry_note, **extra)
