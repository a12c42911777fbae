"""How jobs look in a terminal: the table of `jobs list` and the detail table of one job.

Cells are Text, not markup: display names, labels and errors are the user's or the service's and
may hold `[...]`.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ..names import console_url
from ..wire import JobState, TuningJob
from .output import rfc3339


def jobs_table(jobs: list[TuningJob], title: str) -> Table:
    table = Table(title=title)
    for column in ("ID", "State", "Base model", "Display name", "Created"):
        table.add_column(column, no_wrap=True)
    for job in jobs:
        source = job.base_model or (job.pre_tuned_model.tuned_model_name if job.pre_tuned_model else "")
        # Text, not markup: display names are the user's and may hold `[...]`.
        table.add_row(
            Text((job.name or "").rsplit("/", 1)[-1]),
            styled_state(job.job_state),
            Text(source or ""),
            Text(job.tuned_model_display_name or ""),
            Text(rfc3339(job.create_time)),
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


def job_details(job: TuningJob) -> Table:
    table = Table(show_header=False, title=job.name)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", no_wrap=True)
    spec_ = job.supervised_tuning_spec
    tuned = job.tuned_model
    stats = job.tuning_data_stats.supervised_tuning_data_stats if job.tuning_data_stats else None
    rows: dict[str, str | None] = {
        "base model": job.base_model,
        "tuned from": job.pre_tuned_model.tuned_model_name if job.pre_tuned_model else None,
        "display name": job.tuned_model_display_name,
        "training dataset": spec_.training_dataset_uri if spec_ else None,
        "validation dataset": spec_.validation_dataset_uri if spec_ else None,
        "detailed state": job.tuning_job_state,
        "created": rfc3339(job.create_time) or None,
        "started": rfc3339(job.start_time) or None,
        "ended": rfc3339(job.end_time) or None,
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
