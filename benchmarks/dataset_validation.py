"""Local dataset validation on a generated ~1 GB JSONL file: peak memory and MB/s, old vs new.

`pulumi preview` of a TuningJob with a local dataset, and `vertex-tuning dataset validate`,
check the whole file. This script writes a valid file of `--size-mb` megabytes (10^6 bytes) of
varied Gemini-format examples in a temporary directory, then validates it in a fresh subprocess
per implementation and reports wall time, MB/s and the subprocess's peak RSS (getrusage), with
the RSS of the same interpreter after imports alone as the baseline.

"before" is the module as it was before validation streamed (commit BEFORE_REVISION), checked
out from git into a temporary package at run time, so both run side by side on the same file
and machine. Without git history it is skipped and said so.

    .venv/bin/python benchmarks/dataset_validation.py                 # 1000 MB, before and after
    .venv/bin/python benchmarks/dataset_validation.py --size-mb 100 --skip-before
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import harness
from harness import REPO

DEFAULT_MODEL = "gemini-3.1-flash-lite"

BEFORE_REVISION = "7106e94"
"""The last commit whose datasets.py held every example in memory."""
_BEFORE_FILES = ("datasets.py", "catalogue.py", "wire.py")
_WORDS = (
    "the",
    "model",
    "answers",
    "questions",
    "about",
    "invoices",
    "refunds",
    "shipping",
    "accounts",
    "passwords",
    "orders",
    "delivery",
    "warranty",
    "returns",
    "billing",
    "plans",
    "upgrades",
    "cancel",
    "support",
    "agent",
    "customer",
    "please",
    "thanks",
)

# Run in a fresh interpreter: validate, then print time and peak RSS as one JSON line.
_MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    datasets = __import__(sys.argv[2] + ".datasets", fromlist=["datasets"])
    catalogue = __import__(sys.argv[2] + ".catalogue", fromlist=["catalogue"])
    model = catalogue.BASE_MODELS[sys.argv[3]]
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu_started = time.perf_counter(), time.process_time()
    report = datasets.validate_dataset_file(Path(sys.argv[4]), model, "training")
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    count = getattr(report, "example_count", None) or len(report.examples)
    problems = [str(p) for p in report.problems[:3]]
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_kib": peak,
                      "baseline_kib": baseline, "examples": count, "ok": report.ok, "problems": problems}))
    """
)


SHAPES = {"chat": (20, 400), "short": (5, 60)}
"""Words per turn: long support chats with some images (about 6 KB an example), or short
text-only exchanges (about 1 KB)."""


def write_dataset(path: Path, size_bytes: int, shape: str = "chat", seed: int = 7) -> int:
    """A valid JSONL file of about `size_bytes`: distinct examples of 2-6 turns, some with a system
    instruction and images; returns how many examples it holds."""
    rng = random.Random(seed)
    low, high = SHAPES[shape]
    lines: list[bytes] = []
    for index in range(2000):
        contents = []
        for turn in range(rng.choice((2, 2, 4, 6))):
            words = " ".join(rng.choices(_WORDS, k=rng.randint(low, high)))
            role = "user" if turn % 2 == 0 else "model"
            parts: list[dict[str, Any]] = [{"text": f"{index}: {words}."}]
            if shape == "chat" and role == "user" and rng.random() < 0.1:
                parts.insert(0, {"fileData": {"mimeType": "image/png", "fileUri": f"gs://b/{index}.png"}})
            contents.append({"role": role, "parts": parts})
        example: dict[str, Any] = {"contents": contents}
        if rng.random() < 0.3:
            example["systemInstruction"] = {"parts": [{"text": "You are a helpful support agent."}]}
        lines.append(json.dumps(example).encode() + b"\n")
    written = count = 0
    with path.open("wb") as stream:
        while written < size_bytes:
            line = lines[count % len(lines)]
            stream.write(line)
            written += len(line)
            count += 1
    return count


def before_package(into: Path) -> Path | None:
    """The datasets module of BEFORE_REVISION (and what it imports) as package `before_vertex_tuning`."""
    package = into / "before_vertex_tuning"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in _BEFORE_FILES:
        shown = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{BEFORE_REVISION}:provider/vertex_tuning/{name}"],
            capture_output=True,
            text=True,
        )
        if shown.returncode != 0:
            return None
        (package / name).write_text(shown.stdout)
    return into


def measure(path_entry: Path, package: str, model: str, dataset: Path, size: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path_entry), package, model, str(dataset)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["mb_per_s"] = size / 1e6 / result["seconds"]
    result["cpu_mb_per_s"] = size / 1e6 / result["cpu_seconds"]
    result["peak_mib"] = result["peak_kib"] / 1024
    result["over_baseline_mib"] = (result["peak_kib"] - result["baseline_kib"]) / 1024
    return result


def main() -> None:
    arguments = harness.parser(__doc__ or "")
    arguments.add_argument("--size-mb", type=int, default=1000, help="dataset size in MB (10^6 bytes)")
    arguments.add_argument("--shapes", default="chat,short", help=f"comma-separated, of {', '.join(SHAPES)}")
    arguments.add_argument("--skip-before", action="store_true", help="measure only today's module")
    options = arguments.parse_args()
    size = options.size_mb * 10**6
    rows: list[list[object]] = []
    results: dict[str, Any] = {"size_mb": options.size_mb, "shapes": {}}
    notes = [
        "One fresh interpreter per module and file; RSS is the subprocess's peak (getrusage); "
        "MB/s of CPU time is less sensitive than wall time to other work on the machine."
    ]
    with tempfile.TemporaryDirectory(prefix="dataset-bench-") as temp:
        before_root = None if options.skip_before else before_package(Path(temp))
        if before_root is None and not options.skip_before:
            notes.append(f"No git history for {BEFORE_REVISION}: 'before' was not measured.")
        for shape in options.shapes.split(","):
            dataset = Path(temp) / f"{shape}.jsonl"
            examples = write_dataset(dataset, size, shape)
            actual = dataset.stat().st_size
            runs = {"after": measure(REPO / "provider", "vertex_tuning", DEFAULT_MODEL, dataset, actual)}
            if before_root is not None:
                # The old catalogue has no 3.x Flash-Lite; 2.5 Flash has the same text limits.
                runs["before"] = measure(
                    before_root, "before_vertex_tuning", "gemini-2.5-flash", dataset, actual
                )
            dataset.unlink()
            results["shapes"][shape] = {"size_bytes": actual, "examples": examples, "runs": runs}
            for name, run in sorted(runs.items(), reverse=True):
                rows.append(
                    [
                        f"{shape} ({actual / 1e6:.0f} MB, {examples} examples)",
                        name,
                        f"{run['seconds']:.1f}",
                        f"{run['mb_per_s']:.1f}",
                        f"{run['cpu_mb_per_s']:.1f}",
                        f"{run['peak_mib']:.0f}",
                        "yes" if run["ok"] else f"no: {run['problems']}",
                    ]
                )
            if "before" in runs:
                after, before = runs["after"], runs["before"]
                notes.append(
                    f"{shape}: after is {before['seconds'] / after['seconds']:.2f}x the speed of before, "
                    f"with {before['peak_mib'] / after['peak_mib']:.0f}x less peak memory"
                )
    harness.report(
        "dataset validation",
        ["file", "module", "seconds", "MB/s", "MB/s of CPU time", "peak RSS (MiB)", "valid"],
        rows,
        results,
        options.json,
        notes,
    )


if __name__ == "__main__":
    main()
