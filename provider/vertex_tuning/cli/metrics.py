"""`vertex-tuning metrics`: a tuning job's loss and accuracy curves, in the terminal or as a PNG."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.table import Table

from ..client import MetricPoint
from . import app
from .common import ExitCode, api_client, console, fail, reported_errors
from .jobs import JOB_HELP, job_settings

Series = dict[str, list[MetricPoint]]

# The two charts people read: how the loss falls and how often the next token is right.
PANELS = (("Loss", "total_loss"), ("Next-token accuracy", "fraction_of_correct_next_step_preds"))


@app.command("metrics")
def metrics(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help=JOB_HELP)],
    png: Annotated[
        Path | None, typer.Option("--png", help="Also write the curves as a PNG picture to this file.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every point as JSON instead.")] = False,
    width: Annotated[int, typer.Option("--width", min=40, help="Chart width in characters.")] = 100,
) -> None:
    """Show a job's training (and validation) loss and accuracy by step.

    Metrics appear once the job is RUNNING; exits 1 when there are none yet.
    """
    with reported_errors():
        settings, name = job_settings(ctx, job)
        with api_client(settings) as client:
            series = client.read_metrics(name)
    if not series:
        raise fail(f"{name} has no metrics yet (they appear once the job is RUNNING)", ExitCode.FAILED)
    if as_json:
        points = {key: [{"step": p.step, "value": p.value} for p in values] for key, values in series.items()}
        console.print_json(json.dumps(points))
    else:
        console.print(terminal_chart(series, width), markup=False, highlight=False)
        console.print(final_values(series))
    if png is not None:
        write_png(series, png, title=name)
        console.print(f"Wrote {png}", markup=False)


def charting(module: str) -> ModuleType:
    """A charting library of the optional `charts` extra, or a one-line error saying how to get it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        raise fail(
            f"charts need {module.split('.')[0]}: pip install 'pulumi-vertex-tuning[charts]' (or use --json)",
            ExitCode.BAD_INPUT,
        ) from None


def panel_series(series: Series, suffix: str) -> Series:
    """`/train_total_loss` and `/eval_total_loss` for the suffix `total_loss`, in a stable order."""
    return {key: series[key] for key in sorted(series) if key.endswith(suffix)}


def terminal_chart(series: Series, width: int) -> str:
    """Loss above accuracy, one line per series, as text (plotext 6's figure API)."""
    plotext = charting("plotext")
    panels = [(title, panel_series(series, suffix)) for title, suffix in PANELS]
    panels = [(title, chosen) for title, chosen in panels if chosen] or [("Metrics", series)]
    figure = plotext.figure
    figure.clear()
    figure.subplots(len(panels), 1)
    figure.plot_size(width, 14 * len(panels))
    for row, (title, chosen) in enumerate(panels, start=1):
        panel = figure.subplot(row, 1)
        panel.title(title)
        panel.label("step", axis=0)
        for key, points in chosen.items():
            line = panel.signal([p.step for p in points], [p.value for p in points], marker="braille")
            line.label(key)
            line.lines()
            panel.draw(line)
    # Colourless: the chart also goes into pipes, logs and CI output.
    chart: str = figure.build().string(colorless=True)
    figure.clear()
    return chart


def final_values(series: Series) -> Table:
    table = Table(title="Final values")
    table.add_column("metric")
    table.add_column("step", justify="right")
    table.add_column("value", justify="right")
    for key in sorted(series):
        last = series[key][-1]
        table.add_row(key, str(last.step), f"{last.value:.4g}")
    return table


def write_png(series: Series, path: Path, *, title: str) -> None:
    # The object API, not pyplot: no GUI backend, no global figure state.
    Figure = charting("matplotlib.figure").Figure
    panels = [(label, panel_series(series, suffix)) for label, suffix in PANELS]
    panels = [(label, chosen) for label, chosen in panels if chosen] or [("Metrics", series)]
    figure = Figure(figsize=(8, 3.2 * len(panels)), layout="constrained")
    axes = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    for ax, (label, chosen) in zip(axes, panels, strict=True):
        for key, points in chosen.items():
            ax.plot([p.step for p in points], [p.value for p in points], label=key)
        ax.set_ylabel(label)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend()
    figure.suptitle(title, fontsize=8)
    try:
        figure.savefig(path, format="png", dpi=100)
    except OSError as error:
        raise fail(f"cannot write {path}: {error.strerror or error}", ExitCode.BAD_INPUT) from None
