"""`vertex-tuning dataset`: what Vertex would reject in a JSONL file before money is spent, and uploads.

`validate` reads a local file or a `gs://` object (from Cloud Storage, or the emulator with
VERTEX_AI_EMULATOR_HOST), reports every bad line by number (undecodable bytes included) and
estimates the billable training tokens and their price (`pricing`). `upload` validates first.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .. import catalogue, pricing
from ..datasets import DatasetReport, Purpose, validate_dataset_bytes, validate_dataset_file
from ..names import GcsObjectName
from ..staging import FALLBACK_MODEL
from . import app, common
from .output import emit

dataset_app = typer.Typer(help="Check tuning datasets locally, and upload them.", no_args_is_help=True)
app.add_typer(dataset_app, name="dataset")


ModelOption = Annotated[
    str, typer.Option("--model", "-m", help=f"The base model to tune, e.g. {catalogue.DEFAULT_MODEL}.")
]
ValidationOption = Annotated[
    bool, typer.Option("--validation", help="Check it as a validation dataset (at most 5000 examples).")
]


def known_model(model: str) -> catalogue.BaseModel:
    base_model = catalogue.find_base_model(model)
    if base_model is None:
        raise common.fail(
            f"unknown base model {model!r}; use one of {catalogue.known_model_ids()}",
            common.ExitCode.BAD_INPUT,
        )
    return base_model


def read_report(
    ctx: typer.Context, source: str, model: catalogue.BaseModel, purpose: Purpose
) -> DatasetReport:
    """The report of a local file, or of a `gs://` object read through the API's one HTTP path."""
    if not source.startswith("gs://"):
        return validate_dataset_file(Path(source), model, purpose)
    with common.reported_errors():
        target = GcsObjectName.parse(source)
        settings = common.resolved_settings(ctx)
        with common.api_client(settings) as client:
            content = client.download_object(target)
    report = validate_dataset_bytes(io.BytesIO(content), model, purpose)
    report.size_bytes = len(content)
    return report


@dataset_app.command("validate")
def validate(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(help="A local JSONL dataset or a gs://BUCKET/PATH.jsonl, one example per line.")
    ],
    model: ModelOption,
    validation: ValidationOption = False,
    epochs: Annotated[
        int | None, typer.Option("--epochs", min=1, help="Epochs for the estimate (default: the model's).")
    ] = None,
    price: Annotated[
        float | None,
        typer.Option(
            "--price-per-million-tokens", min=0, help="USD per 1M training tokens, for the estimate."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Check format, roles, parts and limits for MODEL; print every problem with its line number, and
    estimate the billable training tokens and their price.

    Exits 0 when the file is valid, 2 when it has problems (or the model is unknown), 1 when a
    gs:// object cannot be read.
    """
    base_model = known_model(model)
    purpose: Purpose = "validation" if validation else "training"
    report = read_report(ctx, source, base_model, purpose)
    estimate = pricing.estimate(base_model, report.total_tokens, epochs=epochs, price_override=price)
    chosen = common.chosen_format(ctx, as_json)
    if chosen.kind == "table":
        print_report(source, report, base_model)
        if report.ok and purpose == "training":
            common.console.print(estimate.line(), markup=False)
    else:
        emit(
            common.console,
            chosen,
            report_json(source, report, estimate),
            lambda: summary_table(report, base_model),
        )
    if not report.ok:
        raise typer.Exit(common.ExitCode.BAD_INPUT)


def report_json(file: str, report: DatasetReport, estimate: pricing.Estimate | None = None) -> dict[str, Any]:
    priced = (
        {
            "estimate": {
                "trainingTokens": estimate.training_tokens,
                "epochs": estimate.epochs,
                "epochsAssumed": not estimate.epochs_given,
                "pricePerMillionTokens": estimate.price_per_million,
                "estimatedCostUsd": round(estimate.cost, 2) if estimate.cost is not None else None,
                "priceSource": estimate.price_source,
            }
        }
        if estimate is not None and report.purpose == "training"
        else {}
    )
    return {
        "file": file,
        "model": report.model,
        "purpose": report.purpose,
        "ok": report.ok,
        "examples": report.example_count,
        "estimatedTokens": report.total_tokens,
        "characters": report.total_characters,
        "dropped": [{"line": dropped.line, "reason": dropped.reason} for dropped in report.dropped],
        "droppedCount": report.dropped_count,
        "problems": [{"line": problem.line, "message": problem.message} for problem in report.problems],
        **priced,
    }


def print_report(file: str, report: DatasetReport, model: catalogue.BaseModel) -> None:
    # `file:line: message`, the form editors and CI annotations understand.
    for problem in report.problems:
        where = f"{file}:{problem.line}" if problem.line is not None else str(file)
        common.console.print(f"{where}: {problem.message}", markup=False)
    for dropped in report.dropped:
        warning = f"warning: Vertex leaves this example out: {dropped.reason}"
        common.console.print(f"{file}:{dropped.line}: {warning}", markup=False)
    common.console.print(summary_table(report, model))
    low, high = catalogue.RECOMMENDED_TRAINING_EXAMPLES
    if report.ok and report.purpose == "training" and report.example_count < low:
        common.console.print(
            f"note: {report.example_count} examples; {low}-{high} are recommended for good results",
            markup=False,
        )
    verdict = "[green]valid[/]" if report.ok else f"[red]{len(report.problems)} problem(s)[/]"
    common.console.print(f"{escape(str(file))}: {verdict} for {model.id}")


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
    model: Annotated[
        str, typer.Option("--model", "-m", help="Validate it for this base model first.")
    ] = FALLBACK_MODEL,
    validation: ValidationOption = False,
    check: Annotated[
        bool, typer.Option("--validate/--no-validate", help="Validate before uploading (the default).")
    ] = True,
) -> None:
    """Upload a dataset to Cloud Storage (or to the emulator, with VERTEX_AI_EMULATOR_HOST), after
    validating it (exit 2 with every problem, nothing uploaded; --no-validate skips that)."""
    from ..staging import upload_file

    if not file.is_file():
        raise common.fail(f"{file} is not a readable file", common.ExitCode.BAD_INPUT)
    if check:
        base_model = known_model(model)
        report = validate_dataset_file(file, base_model, "validation" if validation else "training")
        if not report.ok:
            print_report(str(file), report, base_model)
            raise common.fail(
                f"{file} was not uploaded: fix it, or pass --no-validate", common.ExitCode.BAD_INPUT
            )
        common.note(f"{file}: {report.summary()}")
    with common.reported_errors():
        settings = common.resolved_settings(ctx)
        with common.api_client(settings) as client:
            upload_file(client, file, uri)
    common.console.print(f"Uploaded {file} to {uri}", markup=False)
