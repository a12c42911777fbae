"""`vertex-tuning jobs`: create, list, inspect, cancel and watch tuning jobs, outside `pulumi up`.

`create` checks its options with the provider's own rules (`spec`, `staging`: every problem at
once, exit 2) and stages local dataset files as the resource does; `watch` and `create --wait`
follow a job with the provider's own wait (`lifecycle`: the same polling, outage riding,
heartbeat and progress lines), so there is one wait loop in the package.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, islice
from typing import Annotated, Any

import typer
from rich.text import Text

from .. import catalogue, spec, staging
from ..api import build_filter
from ..client import VertexClient
from ..errors import FailedPreconditionError, InvalidArgumentError
from ..lifecycle import Lifecycle
from ..names import LocationName, TuningJobName
from ..polling import PollPolicy
from ..progress import DEFAULT_HEARTBEAT_SECONDS, duration
from ..settings import Settings
from ..wire import JobState, TuningJob
from . import app, common, filtering
from .output import emit
from .tables import job_details, jobs_table, styled_state

jobs_app = typer.Typer(help="Create, list, inspect, cancel and watch tuning jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

JOB_HELP = "A tuning job: its full name (projects/…/tuningJobs/ID) or its numeric ID."
JSON_HELP = "Same as --format json."
DEFAULT_WAIT_MINUTES = float(spec.DEFAULT_WAIT_TIMEOUT_MINUTES)

IntervalOption = Annotated[
    float,
    typer.Option("--interval", min=0.05, help="Longest pause between polls, seconds (polls start fast)."),
]
HeartbeatOption = Annotated[
    float,
    typer.Option("--heartbeat", min=0.05, help="Longest silence while waiting, seconds."),
]
TimeoutOption = Annotated[
    float,
    typer.Option("--timeout-minutes", min=0.001, help="Stop waiting (the job keeps running) after this."),
]


def job_settings(ctx: typer.Context, value: str) -> tuple[Settings, TuningJobName]:
    """Settings and the full job name, from a bare ID or a full name (`common.named_settings`)."""
    return common.named_settings(ctx, value, TuningJobName)


def parse_state(value: str) -> JobState:
    """`RUNNING`, `running` or `JOB_STATE_RUNNING`, read by the wire enum itself."""
    wanted = value.strip().upper().removeprefix("JOB_STATE_")
    try:
        state = JobState(f"JOB_STATE_{wanted}")
    except ValueError:
        state = JobState.UNSPECIFIED
    if state is JobState.UNSPECIFIED:
        choices = ", ".join(state.short for state in JobState if state is not JobState.UNSPECIFIED)
        raise typer.BadParameter(f"{value!r} is not a job state; use one of {choices}")
    return state


def parse_label(value: str) -> tuple[str, str]:
    key, equals, label_value = value.partition("=")
    if not equals or not key:
        raise typer.BadParameter(f"{value!r} is not KEY=VALUE")
    return key, label_value


# --- list -------------------------------------------------------------------------------------


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
    filter_text: Annotated[
        str | None,
        typer.Option(
            "--filter",
            help='AIP-160 filter, e.g. \'state="JOB_STATE_SUCCEEDED" AND labels.team="ml"\'; sent to the '
            "service and checked again here.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many jobs.")] = 100,
    page_size: Annotated[
        int | None, typer.Option("--page-size", min=1, max=300, help="Jobs per request to the service.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """List tuning jobs in the project and location, newest first as the service returns them."""
    wanted_state = parse_state(state) if state else None
    wanted_labels = dict(parse_label(item) for item in label or [])
    with common.reported_errors():
        remote_filter = (
            build_filter(state=wanted_state, labels=wanted_labels, extra=filter_text)
            if wanted_state or wanted_labels
            else filter_text
        )
        try:
            local_filter = filtering.parse(remote_filter or "")
        except filtering.FilterError as error:
            raise common.fail(str(error), common.ExitCode.BAD_INPUT) from None
        settings = common.resolved_settings(ctx)
        with common.api_client(settings) as client:
            found = list(
                islice(matching_jobs(client, settings, remote_filter, local_filter, page_size), limit)
            )
    bodies = [job.to_json_dict() for job in found]
    title = f"Tuning jobs in {settings.project} / {settings.location}"
    emit(common.console, common.chosen_format(ctx, as_json), bodies, lambda: jobs_table(found, title))


def matching_jobs(
    client: VertexClient,
    settings: Settings,
    remote_filter: str | None,
    local_filter: filtering.Predicate,
    page_size: int | None,
) -> Iterator[TuningJob]:
    """Jobs the service returns for the filter, each checked again here; lazily, page by page."""
    parent = LocationName(settings.project, settings.location)
    try:
        pages = client.list_tuning_jobs(parent, filter=remote_filter, page_size=page_size)
        first = next(pages, None)
    except InvalidArgumentError as error:
        # The emulator (and perhaps the service) takes only part of AIP-160: filter here instead.
        common.note(f"the service did not take the filter ({error.message}); filtering every job here")
        pages = client.list_tuning_jobs(parent, page_size=page_size)
        first = next(pages, None)
    if first is None:
        return
    for job in chain([first], pages):
        if local_filter(job.to_json_dict()):
            yield job


# --- get --------------------------------------------------------------------------------------


@jobs_app.command("get")
def get_job(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help=JOB_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Show one tuning job: state, tuned model and endpoint, times, error, data stats."""
    with common.reported_errors():
        settings, name = job_settings(ctx, job)
        with common.api_client(settings) as client:
            found = client.get_tuning_job(name)
    show_job(ctx, found, as_json)


def show_job(ctx: typer.Context, job: TuningJob, as_json: bool = False) -> None:
    emit(common.console, common.chosen_format(ctx, as_json), job.to_json_dict(), lambda: job_details(job))


# --- cancel -----------------------------------------------------------------------------------

STOPPING = frozenset({JobState.CANCELLING, JobState.CANCELLED})


@jobs_app.command("cancel")
def cancel_job(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help=JOB_HELP)],
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the job has stopped.")] = False,
    interval: IntervalOption = 5.0,
    heartbeat: HeartbeatOption = DEFAULT_HEARTBEAT_SECONDS,
) -> None:
    """Cancel a running tuning job (asynchronous; --wait waits for it). A job already cancelled or
    being cancelled is fine (exit 0); a finished one cannot be cancelled (exit 1)."""
    with common.reported_errors():
        settings, name = job_settings(ctx, job)
        with common.api_client(settings) as client:
            current = client.get_tuning_job(name)
            if current.job_state in STOPPING:
                common.console.print(
                    f"{name} is already {current.job_state.short}; nothing to cancel", markup=False
                )
            else:
                try:
                    client.cancel_tuning_job(name)
                except FailedPreconditionError:
                    current = client.get_tuning_job(name)
                    if current.job_state not in STOPPING:
                        raise
                    common.console.print(f"{name} is already {current.job_state.short}", markup=False)
                else:
                    common.console.print(f"Cancellation requested for {name}", markup=False)
            if wait:
                final = follow(client, current, interval, heartbeat, DEFAULT_WAIT_MINUTES)
                common.console.print(Text.assemble(f"{name} is ", styled_state(final.job_state)))


# --- watch and the shared wait ------------------------------------------------------------------


@jobs_app.command("watch")
def watch_job(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help=JOB_HELP)],
    interval: IntervalOption = 30.0,
    heartbeat: HeartbeatOption = DEFAULT_HEARTBEAT_SECONDS,
    timeout_minutes: TimeoutOption = DEFAULT_WAIT_MINUTES,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Follow a job until it ends (progress on stderr, the final job on stdout); exit 0 when it
    SUCCEEDED, 1 when it FAILED, was CANCELLED or EXPIRED, or the wait timed out."""
    with common.reported_errors():
        settings, name = job_settings(ctx, job)
        with common.api_client(settings) as client:
            final = follow(client, client.get_tuning_job(name), interval, heartbeat, timeout_minutes)
    finish(ctx, final, as_json)


def follow(
    client: VertexClient, job: TuningJob, interval: float, heartbeat: float, timeout_minutes: float
) -> TuningJob:
    """The provider's wait (lifecycle): state changes, heartbeats and retries on stderr, outages ridden."""
    policy = PollPolicy(first_delay=min(0.5, interval), max_delay=interval)
    waiting = Lifecycle(client, policy=policy, log=common.note, heartbeat_seconds=heartbeat)
    final = waiting.until_terminal(job, timeout_minutes * 60)
    if final is None:
        raise common.fail(
            f"{job.name} is still running after {duration(timeout_minutes * 60)}; it keeps running "
            f"(watch it again with `vertex-tuning jobs watch {job.name}`)",
            common.ExitCode.FAILED,
        )
    return final


def finish(ctx: typer.Context, final: TuningJob, as_json: bool) -> None:
    """Print the job that ended, and exit 0 only if it SUCCEEDED."""
    show_job(ctx, final, as_json)
    if final.job_state is JobState.SUCCEEDED:
        if common.chosen_format(ctx, as_json).kind == "table":
            endpoint = final.tuned_model.endpoint if final.tuned_model else None
            common.console.print(f"Tuned endpoint: {endpoint}", markup=False)
        return
    reason = f": {final.error.message}" if final.error and final.error.message else ""
    raise common.fail(f"{final.name} ended {final.job_state.short}{reason}", common.ExitCode.FAILED)


# --- create -----------------------------------------------------------------------------------

FLAGS = {
    "project": "--project",
    "location": "--location",
    "base_model": "--base-model",
    "pre_tuned_model_name": "--pre-tuned-model",
    "pre_tuned_checkpoint_id": "--checkpoint-id",
    "training_dataset_uri": "--training-dataset",
    "training_dataset": "--training-dataset",
    "validation_dataset_uri": "--validation-dataset",
    "validation_dataset": "--validation-dataset",
    "staging_uri": "--staging-uri",
    "epoch_count": "--epochs",
    "adapter_size": "--adapter-size",
    "learning_rate_multiplier": "--learning-rate-multiplier",
    "tuned_model_display_name": "--display-name",
    "description": "--description",
    "labels": "--label",
    "kms_key_name": "--kms-key",
    "service_account": "--service-account",
    "export_last_checkpoint_only": "--export-last-checkpoint-only",
}
"""Each input of the resource and the `jobs create` option that sets it, for problem messages."""
# The spec wants a resource identity; a CLI job belongs to no resource, so it gets a fixed one and
# no identity label (no Pulumi resource ever adopts it).
CLI_IDENTITY = {"pulumi_stack": "cli", "pulumi_project": "vertex-tuning-cli", "resource_name": "cli"}


def dataset_inputs(value: str | None, uri_input: str, file_input: str) -> dict[str, Any]:
    """A `gs://` URI as is; anything else is a local file, staged like the resource's."""
    if value is None:
        return {}
    return {uri_input: value} if value.startswith("gs://") else {file_input: value}


@jobs_app.command("create")
def create_job(
    ctx: typer.Context,
    training_dataset: Annotated[
        str,
        typer.Option(
            "--training-dataset", help="gs://BUCKET/train.jsonl, or a local JSONL file (staged first)."
        ),
    ],
    base_model: Annotated[
        str | None, typer.Option("--base-model", help=f"The model to tune, e.g. {catalogue.DEFAULT_MODEL}.")
    ] = None,
    pre_tuned_model: Annotated[
        str | None,
        typer.Option("--pre-tuned-model", help="Tune this tuned model further (projects/…/models/ID@V)."),
    ] = None,
    checkpoint_id: Annotated[
        str | None, typer.Option("--checkpoint-id", help="The pre-tuned model's checkpoint to start from.")
    ] = None,
    validation_dataset: Annotated[
        str | None, typer.Option("--validation-dataset", help="gs:// URI or local JSONL file.")
    ] = None,
    staging_uri: Annotated[
        str | None,
        typer.Option("--staging-uri", help="gs://BUCKET/PREFIX where local dataset files are uploaded."),
    ] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Passes over the dataset.")] = None,
    adapter_size: Annotated[
        str | None, typer.Option("--adapter-size", help="LoRA rank: 1, 2, 4, 8, 16 or 32.")
    ] = None,
    learning_rate_multiplier: Annotated[
        float | None, typer.Option("--learning-rate-multiplier", help="Scales the default learning rate.")
    ] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="The tuned model's display name.")
    ] = None,
    description: Annotated[str | None, typer.Option("--description", help="Free text.")] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", help="KEY=VALUE on the job and its model (repeatable).")
    ] = None,
    kms_key: Annotated[
        str | None, typer.Option("--kms-key", help="projects/P/locations/L/keyRings/R/cryptoKeys/K.")
    ] = None,
    service_account: Annotated[
        str | None, typer.Option("--service-account", help="The service account the job runs as.")
    ] = None,
    export_last_checkpoint_only: Annotated[
        bool | None,
        typer.Option("--export-last-checkpoint-only/--export-all-checkpoints", help="Keep only the last."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the job to its end, like `jobs watch`.")
    ] = False,
    interval: IntervalOption = 30.0,
    heartbeat: HeartbeatOption = DEFAULT_HEARTBEAT_SECONDS,
    timeout_minutes: TimeoutOption = DEFAULT_WAIT_MINUTES,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Create a tuning job, checked by the same rules as `pulumi preview` (exit 2 listing every
    problem). Prints the created job; with --wait, follows it and prints the job that ended."""
    labels = dict(parse_label(item) for item in label or [])
    with common.reported_errors():
        settings = common.resolved_settings(ctx)
        props: dict[str, Any] = {
            "project": settings.project,
            "location": settings.location,
            "base_model": base_model,
            "pre_tuned_model_name": pre_tuned_model,
            "pre_tuned_checkpoint_id": checkpoint_id,
            **dataset_inputs(training_dataset, "training_dataset_uri", "training_dataset"),
            **dataset_inputs(validation_dataset, "validation_dataset_uri", "validation_dataset"),
            "staging_uri": staging_uri,
            "epoch_count": epochs,
            "adapter_size": adapter_size,
            "learning_rate_multiplier": learning_rate_multiplier,
            "tuned_model_display_name": display_name,
            "description": description,
            "labels": labels or None,
            "kms_key_name": kms_key,
            "service_account": service_account,
            "export_last_checkpoint_only": export_last_checkpoint_only,
            **CLI_IDENTITY,
        }
        props = {key: value for key, value in props.items() if value is not None}
        planned, problems = staging.plan_local_datasets(props, staging_uri)
        problems += spec.problems(planned)
        if problems:
            for name, reason in problems:
                common.errors.print(f"error: {FLAGS.get(name, name)}: {reason}", markup=False)
            raise typer.Exit(common.ExitCode.BAD_INPUT)
        job_spec = spec.parse(planned)
        body = spec.to_wire(job_spec)
        body.labels = {key: value for key, value in (body.labels or {}).items() if key != spec.ID_LABEL}
        with common.api_client(settings) as client:
            if job_spec.training_dataset or job_spec.validation_dataset:
                staging.upload_local_datasets(client, job_spec.inputs())
            created = client.create_tuning_job(LocationName(settings.project, settings.location), body)
            if not wait:
                show_job(ctx, created, as_json)
                return
            common.note(f"created {created.name}")
            final = follow(client, created, interval, heartbeat, timeout_minutes)
    finish(ctx, final, as_json)
