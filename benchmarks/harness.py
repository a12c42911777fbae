"""Shared plumbing for the benchmarks: results as JSON plus a Markdown table, RSS, the host driver.

Each benchmark is a script (`python benchmarks/<name>.py`) that prints a Markdown table (ready
for docs/performance.md) followed by one JSON document, and writes that JSON to `--json PATH`
when asked. The provider-host driver of the test suite is reused, so a benchmark drives the real
`python -m pulumi.dynamic` host exactly as the tests do.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # `support.provider_host`, as in the test suite


def parser(description: str) -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=description)
    arguments.add_argument("--json", type=Path, help="also write the JSON results to this file")
    return arguments


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return (
            "| " + " | ".join(value.ljust(width) for value, width in zip(values, widths, strict=True)) + " |"
        )

    return "\n".join([line(headers), line(["-" * width for width in widths]), *map(line, cells)])


def environment() -> dict[str, Any]:
    import grpc
    import pulumi

    return {
        "python": platform.python_version(),
        "pulumi": pulumi.__version__ if hasattr(pulumi, "__version__") else _version("pulumi"),
        "grpcio": grpc.__version__,
        "platform": platform.platform(terse=True),
        "cpus": _cpu_count(),
    }


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


def _cpu_count() -> int | None:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def report(
    name: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    results: dict[str, Any],
    json_path: Path | None,
    notes: Sequence[str] = (),
) -> None:
    """Print the table (and notes) then the JSON document; optionally save the JSON."""
    document = {"benchmark": name, "environment": environment(), **results}
    print(f"## {name}\n")
    print(markdown_table(headers, rows))
    for note in notes:
        print(f"\n{note}")
    print()
    print(json.dumps(document, indent=2, sort_keys=True))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def rss_kib(pid: int) -> dict[str, int]:
    """Resident memory of a process in KiB (Linux /proc): all of it (VmRSS), its peak (VmHWM), and the
    anonymous part (RssAnon: heap and stacks, where a leak would show; shared-library pages that the
    kernel may evict under memory pressure are left out)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    kib = {key: int(status[key].split()[0]) for key in ("VmRSS", "VmHWM", "RssAnon")}
    return {"rss_kib": kib["VmRSS"], "peak_rss_kib": kib["VmHWM"], "anon_kib": kib["RssAnon"]}


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    return statistics.median(timed(action) for _ in range(repeat))


def ratio(value: float, base: float) -> float:
    return round(value / base, 2) if base else float("nan")


VERSUS_STOCK_HEADERS = ["N", "this provider (s)", "vs N=1", "stock host (s)", "vs N=1", "stock / this"]


def versus_stock(
    wall: dict[str, dict[int, float]], ours: str, key: str, counts: Sequence[int], seconds_format: str
) -> tuple[list[list[object]], list[dict[str, Any]]]:
    """The table rows and JSON runs of an N-at-once benchmark: mode `ours` (named `key` in the JSON)
    against "stock" for each N, each also as a ratio to its own N=1 time."""
    rows: list[list[object]] = []
    runs: list[dict[str, Any]] = []
    for count in counts:
        mine, stock = wall[ours][count], wall["stock"][count]
        run: dict[str, Any] = {
            "n": count,
            f"{key}_s": round(mine, 2),
            "stock_s": round(stock, 2),
            f"{key}_ratio_to_n1": ratio(mine, wall[ours][1]),
            "stock_ratio_to_n1": ratio(stock, wall["stock"][1]),
            f"stock_over_{key}": ratio(stock, mine),
        }
        runs.append(run)
        rows.append(
            [
                count,
                format(mine, seconds_format),
                f"{run[f'{key}_ratio_to_n1']:g}x",
                format(stock, seconds_format),
                f"{run['stock_ratio_to_n1']:g}x",
                f"{run[f'stock_over_{key}']:g}x",
            ]
        )
    return rows, runs
