"""`vertex-tuning jobs`: list, inspect, cancel and watch tuning jobs, outside `pulumi up`."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ..client import VertexClient, list_tuning_jobs
from ..names import TuningJobName, console_url
from ..polling import PollPolicy
from ..settings import Settings
from ..wire import JobState, TuningJob
from . import app
from .common import ExitCode, api_client, console, errors, fail, reported_errors, resolved_settings

jobs_app = typer.Typer(help="List, inspect, cancel and watch tuning jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

JOB_HELP = "A tuning job: its full name (projects/…/tuningJobs/ID) or its numeric ID."


def job_settings(ctx: typer.Context, value: str) -> tuple[Settings, str]:
    """Settings and the full job name, from a bare ID in the configured project and location, or
    from a full name, which says where the job is (no project need be configured for it)."""
    if value.isdigit():
        settings = resolved_settings(ctx)
        return settings, str(TuningJobName(settings.project, settings.location, value))
    name = TuningJobName.parse(value)
    return resolved_settings(ctx, project=name.project, location=name.location), str(name)


def parse_state(value: str) -> JobState:
    """`RUNNING`, `running` or `JOB_STATE_RUNNING`."""
    wanted = value.strip().upper().removeprefix("JOB_STATE_")
    for state in JobState:
        if state.short == wanted and state is not JobState.UNSPECIFIED:
            return state
    choices = ", ".join(state.short for state in JobState if state is not JobState.UNSPECIFIED)
    raise typer.BadParameter(f"{value!r} is not a job state; use one of {choices}")


def parse_label(value: str) -> tuple[str, str]:
    key, equals, label_value = value.partition("=")
    if not equals or not key:
        raise typer.BadParameter(f"{value!r} is not KEY=VALUE")
    return key, label_value


@jobs_app.command("list")
def list_jobs(
    ctx: typer.Context,
    state: Annotated[
        str | None, typer.Option("--state", "-s", help="Only jobs in this state, e.g. RUNNING.")
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", help="Only jobs with this label, KEY=VALUE (repeatable)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many jobs.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print the jobs as proto3 JSON.")] = False,
) -> None:
    """List tuning jobs in the project and location, newest first as the service returns them."""
    wanted_state = parse_state(state) if state else None
    wanted_labels = dict(parse_label(item) for item in label or [])
    with reported_errors():
        settings = resolved_settings(ctx)
        with api_client(settings) as client:
            # The filter goes to the service and is checked again locally (labels are unconfirmed there).
            found = list_tuning_jobs(state=wanted_state, labels=wanted_labels, client=client)
    selected = found[:limit]
    if as_json:
        console.print_json(json.dumps([job.to_json_dict() for job in selected]))
        return
    console.print(jobs_table(selected, f"Tuning jobs in {settings.project} / {settings.location}"))


def jobs_table(jobs: list[TuningJob], title: str) -> Table:
    table = Table(title=title)
    # Ids and times stay whole (people copy them); the free text wraps. The endpoint is in `jobs get`.
    for column in ("ID", "State", "Base model", "Display name", "Created"):
        table.add_column(column, overflow="fold", no_wrap=column in {"ID", "Created"})
    for job in jobs:
        source = job.base_model or (job.pre_tuned_model.tuned_model_name if job.pre_tuned_model else "")
        # Text, not markup: display names are the user's and may hold `[...]`.
        table.add_row(
            Text((job.name or "").rsplit("/", 1)[-1]),
            styled_state(job.job_state),
            Text(source or ""),
            Text(job.tuned_model_display_name or ""),
            Text(job.create_time.strftime("%Y-%m-%d %H:%M") if job.create_time else ""),
        )
    if not jobs:
        table.caption = "no jobs"
    return table


_STATE_STYLES = {
    JobState.SUCCEEDED: "green",
    JobState.FAILED: "red",
    JobState.EXPIRED: "red",
    JobState.CANCELLED: "yellow",
    JobState.CANCELLING: "yellow",
    JobState.RUNNING: "cyan",
}


def styled_state(state: JobState) -> Text:
    return Text(state.short, style=_STATE_STYLES.get(state, ""))


@jobs_app.command("get")
def get_job(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help=JOB_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the job as proto3 JSON.")] = False,
) -> None:
    """Show one tuning job: state, tuned model and endpoint, times, error, data stats."""
    with reported_errors():
        settings, name = job_settings(ctx, job)
        with api_client(settings) as client:
            found = client.get_tuning_job(name)
    if as_json:
        console.print_json(json.dumps(found.to_json_dict()))
    else:
        console.print(job_details(found))


def job_details(job: TuningJob) -> Table:
    table = Table(show_header=False, title=job.name)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    spec = job.supervised_tuning_spec
    tuned = job.tuned_model
    stats = job.tuning_data_stats.supervised_tuning_data_stats if job.tuning_data_stats else None
    rows: dict[str, str | None] = {
        "base model": job.base_model,
        "tuned from": job.pre_tuned_model.tuned_model_name if job.pre_tuned_model else None,
        "display name": job.tuned_model_display_name,
        "training dataset": spec.training_dataset_uri if spec else None,
        "validation dataset": spec.validation_dataset_uri if spec else None,
        "created": job.create_time.isoformat() if job.create_time else None,
        "started": job.start_time.isoformat() if job.start_time else None,
        "ended": job.end_time.isoformat() if job.end_time else None,
        "tuned model": tuned.model if tuned else None,
        "endpoint": tuned.endpoint if tuned else None,
        "examples": str(stats.tuning_dataset_example_count) if stats else None,
        "billable tokens": str(stats.total_billable_token_count) if stats else None,
        "error": job.error.message if job.error else None,
        "labels": ", ".join(f"{k}={v}" for k, v in sorted((job.labels or {}).items())) or None,
        "console": console_url(job.name) if job.name else None,
    }
    table.add_row("state", styled_state(job.job_state))
    for field, value in rows.items():
        if value not in (None, "None"):
            table.add_row(field, Text(str(value)))
    return table


@jobs_app.command("cancel")
def cancel_job(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help=JOB_HELP)],
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the job has stopped.")] = False,
) -> None:
    """Cancel a running tuning job (cancellation is asynchronous; --wait waits for it)."""
    with reported_errors():
        settings, name = job_settings(ctx, job)
        with api_client(settings) as client:
            client.cancel_tuning_job(name)
            console.print(f"Cancellation requested for {name}", markup=False)
            if wait:
                final = wait_until_terminal(client, name, PollPolicy(first_delay=0.2, max_delay=5.0))
                console.print(Text.assemble(f"{name} is ", styled_state(final.job_state)))


@jobs_app.command("watch")
def watch_job(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help=JOB_HELP)],
    interval: Annotated[
        float,
        typer.Option("--interval", min=0.05, help="Longest pause between polls, seconds (polls start fast)."),
    ] = 30.0,
) -> None:
    """Follow a job until it ends; exit 0 when it SUCCEEDED, 1 when it FAILED, was CANCELLED or EXPIRED."""
    with reported_errors():
        settings, name = job_settings(ctx, job)
        policy = PollPolicy(first_delay=min(0.5, interval), max_delay=interval)
        with api_client(settings) as client:
            final = wait_until_terminal(client, name, policy)
    if final.job_state is JobState.SUCCEEDED:
        endpoint = final.tuned_model.endpoint if final.tuned_model else None
        console.print(f"Tuned endpoint: {endpoint}", markup=False)
        return
    reason = f": {final.error.message}" if final.error and final.error.message else ""
    raise fail(f"{name} ended {final.job_state.short}{reason}", ExitCode.FAILED)


def wait_until_terminal(client: VertexClient, name: str, policy: PollPolicy) -> TuningJob:
    """Poll until the job is terminal, one line per state change and a live status in between."""
    started = time.monotonic()
    delays = policy.delays()
    seen: JobState | None = None
    with errors.status(f"Waiting for {name}") as status:
        while True:
            job = client.get_tuning_job(name)
            elapsed = time.monotonic() - started
            if job.job_state is not seen:
                seen = job.job_state
                console.print(Text.assemble(f"{clock(elapsed)}  ", styled_state(seen), f"  {name}"))
            if seen.is_terminal:
                return job
            status.update(Text(f"{seen.short} for {clock(elapsed)}: {name}"))
            time.sleep(next(delays))


def clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}"
