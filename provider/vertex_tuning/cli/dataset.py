"""`vertex-tuning dataset`: what Vertex would reject in a JSONL file before money is spent, and uploads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .. import catalogue
from ..datasets import DatasetReport, Purpose, validate_dataset_file
from . import app
from .common import ExitCode, api_client, console, fail, reported_errors, resolved_settings

dataset_app = typer.Typer(help="Check tuning datasets locally, and upload them.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")


@dataset_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="A local JSONL dataset, one example per line.")],
    model: Annotated[
        str, typer.Option("--model", "-m", help=f"The base model to tune, e.g. {catalogue.DEFAULT_MODEL}.")
    ],
    validation: Annotated[
        bool, typer.Option("--validation", help="Check it as a validation dataset (at most 5000 examples).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check format, roles, parts and limits for MODEL; print every problem with its line number.

    Exits 0 when the file is valid, 2 when it has problems (or the model is unknown).
    """
    base_model = catalogue.find_base_model(model)
    if base_model is None:
        raise fail(
            f"unknown base model {model!r}; use one of {catalogue.known_model_ids()}", ExitCode.BAD_INPUT
        )
    purpose: Purpose = "validation" if validation else "training"
    report = validate_dataset_file(file, base_model, purpose)
    if as_json:
        console.print_json(json.dumps(report_json(file, report)))
    else:
        print_report(file, report, base_model)
    if not report.ok:
        raise typer.Exit(int(ExitCode.BAD_INPUT))


def report_json(file: Path, report: DatasetReport) -> dict[str, Any]:
    return {
        "file": str(file),
        "model": report.model,
        "purpose": report.purpose,
        "ok": report.ok,
        "examples": report.example_count,
        "estimatedTokens": report.total_tokens,
        "characters": report.total_characters,
        "dropped": [{"line": dropped.line, "reason": dropped.reason} for dropped in report.dropped],
        "droppedCount": report.dropped_count,
        "problems": [{"line": problem.line, "message": problem.message} for problem in report.problems],
    }


def print_report(file: Path, report: DatasetReport, model: catalogue.BaseModel) -> None:
    # `file:line: message`, the form editors and CI annotations understand.
    for problem in report.problems:
        where = f"{file}:{problem.line}" if problem.line is not None else str(file)
        console.print(f"{where}: {problem.message}", markup=False)
    for dropped in report.dropped:
        warning = f"warning: Vertex leaves this example out: {dropped.reason}"
        console.print(f"{file}:{dropped.line}: {warning}", markup=False)
    console.print(summary_table(report, model))
    low, high = catalogue.RECOMMENDED_TRAINING_EXAMPLES
    if report.ok and report.purpose == "training" and report.example_count < low:
        console.print(
            f"note: {report.example_count} examples; {low}-{high} are recommended for good results",
            markup=False,
        )
    verdict = "[green]valid[/]" if report.ok else f"[red]{len(report.problems)} problem(s)[/]"
    console.print(f"{escape(str(file))}: {verdict} for {model.id}")


def summary_table(report: DatasetReport, model: catalogue.BaseModel) -> Table:
    table = Table(title=f"{report.purpose.capitalize()} dataset for {model.id}", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("examples", str(report.example_count))
    table.add_row("estimated tokens", str(report.total_tokens))
    table.add_row("largest example (tokens)", f"{report.largest_tokens} of {model.max_tokens_per_example}")
    table.add_row("characters", str(report.total_characters))
    table.add_row("left out (too long, too much media)", str(report.dropped_count))
    table.add_row("problems", str(report.problem_count))
    return table


@dataset_app.command("upload")
def upload(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A local JSONL dataset.")],
    uri: Annotated[str, typer.Argument(help="Where to put it: gs://BUCKET/PATH.jsonl.")],
) -> None:
    """Upload a dataset to Cloud Storage (or to the emulator, with VERTEX_AI_EMULATOR_HOST)."""
    from ..staging import upload_file

    if not file.is_file():
        raise fail(f"{file} is not a readable file", ExitCode.BAD_INPUT)
    with reported_errors():
        settings = resolved_settings(ctx)
        with api_client(settings) as client:
            upload_file(settings, file, uri, client=client)
    console.print(f"Uploaded {file} to {uri}", markup=False)
