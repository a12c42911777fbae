"""`vertex-tuning metrics`: a tuning job's loss and accuracy curves, in the terminal or as a PNG.

Tables of the final values and of every point need nothing more; the charts (terminal and PNG)
need the optional `charts` extra: `pip install 'pulumi-vertex-tuning[charts]'`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.table import Table

from ..metrics_reader import MetricPoint
from . import app
from .common import ExitCode, api_client, chosen_format, console, fail, note, reported_errors
from .jobs import JOB_HELP, job_settings
from .output import emit, print_natural_width

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
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    width: Annotated[int, typer.Option("--width", min=40, help="Chart width in characters.")] = 100,
) -> None:
    """Show a job's training (and validation) loss and accuracy by step.

    Metrics appear once the job is RUNNING; exits 1 when there are none yet.
    """
    with reported_errors():
        settings, name = job_settings(ctx, job)
        with api_client(settings) as client:
            # A series without points yet (a job just RUNNING) is as good as none.
            series = {key: points for key, points in client.read_metrics(name).items() if points}
    if not series:
        raise fail(f"{name} has no metrics yet (they appear once the job is RUNNING)", ExitCode.FAILED)
    chosen = chosen_format(ctx, as_json)
    if chosen.kind in ("json", "yaml"):
        points = {key: [{"step": p.step, "value": p.value} for p in values] for key, values in series.items()}
        emit(console, chosen, points, lambda: final_values(series))
    elif chosen.kind == "value":
        rows = [
            {"metric": key, "step": point.step, "value": point.value}
            for key, values in sorted(series.items())
            for point in values
        ]
        emit(console, chosen, rows, lambda: final_values(series))
    else:
        try:
            console.print(terminal_chart(series, width), markup=False, highlight=False)
        except ModuleNotFoundError as missing:
            note(
                f"charts need {missing.name or 'plotext'} from the `charts` extra: pip install "
                "'pulumi-vertex-tuning[charts]'; here are the points as a table"
            )
            print_natural_width(console, points_table(series))
        print_natural_width(console, final_values(series))
    if png is not None:
        write_png(series, png, title=str(name))
        console.print(f"Wrote {png}", markup=False)


def charting(module: str) -> ModuleType:
    """A charting library of the optional `charts` extra (ModuleNotFoundError without it)."""
    return importlib.import_module(module)


def points_table(series: Series) -> Table:
    """Every point: one row per step, one column per series (what the charts would draw)."""
    table = Table(title="Points by step")
    table.add_column("step", justify="right")
    names = sorted(series)
    for name in names:
        table.add_column(name, justify="right")
    by_step = {name: {point.step: point.value for point in series[name]} for name in names}
    for step in sorted({point.step for points in series.values() for point in points}):
        values = (by_step[name].get(step) for name in names)
        table.add_row(str(step), *("" if value is None else f"{value:.4g}" for value in values))
    return table


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
    try:
        Figure = charting("matplotlib.figure").Figure
    except ModuleNotFoundError:
        raise fail(
            "a PNG needs matplotlib: pip install 'pulumi-vertex-tuning[charts]' (or use --format json)",
            ExitCode.BAD_INPUT,
        ) from None
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
