"""Wall time of one real `pulumi up` of N TuningJobs: this provider vs the stock host's four workers.

The real Pulumi CLI (from `make pulumi`) runs an inline program of N TuningJobs against the
in-process emulator (jobs of 2 s), each N in a fresh stack and PULUMI_HOME. "this provider" is the
package as shipped (decision 8); "stock" is the same program with
`vertex-tuning:maxConcurrentOperations: 4`, the four workers every dynamic provider gets. Reported:
seconds of `pulumi up`, the ratio to N = 1 of the same mode, stock / this; and the seconds of a
`pulumi preview` of 100 new TuningJobs (Check of each, no API call).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import harness
from support.emulator import RunningEmulator, sample_dataset
from support.engine import Engine
from vertex_tuning.emulator.server import EmulatorServer

COUNTS = (1, 16, 32)
MODES = ("this provider", "stock")
DATASET = "gs://bench/train.jsonl"
MODEL = "gemini-3.5-flash"
PREVIEW_COUNT = 100


def program(count: int, tag: str) -> Any:
    def run() -> None:
        from vertex_tuning import TuningJob

        for index in range(count):
            TuningJob(f"job-{tag}-{index}", base_model=MODEL, training_dataset_uri=DATASET, epoch_count=1)

    return run


def up_seconds(engine: Engine, count: int, mode: str) -> float:
    tag = f"{'ours' if mode == MODES[0] else 'stock'}-{count}"
    config = {"vertex-tuning:maxConcurrentOperations": "4"} if mode == "stock" else {}
    stack = engine.stack(program(count, tag), project=f"bench-{tag}", config=config)
    return harness.timed(stack.up)


def main() -> None:
    arguments = harness.parser(__doc__ or "")
    arguments.add_argument("--job-seconds", type=float, default=2.0, help="emulator job length")
    options = arguments.parse_args()
    wall: dict[str, dict[int, float]] = {mode: {} for mode in MODES}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        server = EmulatorServer(root / "emulator", job_seconds=options.job_seconds).start()
        emulator = RunningEmulator(server.base_url, server.data_dir)
        try:
            emulator.write_object(DATASET, sample_dataset(10))
            engine = Engine(root / "engine", emulator)
            for count in COUNTS:  # modes side by side for each N, so machine noise hits both alike
                for mode in MODES:
                    wall[mode][count] = up_seconds(engine, count, mode)
            preview = engine.stack(program(PREVIEW_COUNT, "preview"), project="bench-preview")
            preview_s = harness.timed(preview.preview)
        finally:
            emulator.close()
            server.stop()
    rows, runs = harness.versus_stock(wall, MODES[0], "this", COUNTS, ".1f")
    headers = harness.VERSUS_STOCK_HEADERS
    notes = [
        f"Real `pulumi up`, emulator jobs of {options.job_seconds:g} s, one stack per cell.",
        f"`pulumi preview` of {PREVIEW_COUNT} new TuningJobs: {preview_s:.1f} s.",
    ]
    results = {"job_seconds": options.job_seconds, "runs": runs, "preview_100_s": round(preview_s, 2)}
    harness.report(
        "one pulumi up of N TuningJobs through the real engine", headers, rows, results, options.json, notes
    )


if __name__ == "__main__":
    main()
