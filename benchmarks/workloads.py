"""What the host benchmarks run: the real TuningJobProvider against the emulator, or the toy provider.

The real workload is the default; `--toy` (or a tree where the real provider or the emulator is
missing) uses the test suite's toy provider, whose create just sleeps for the job length, to
exercise the same harness without the service.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.dynamic import ResourceProvider

STOCK_WORKERS = "4"  # the stock host's pool; the provider never lowers it, so this keeps it stock
BASE_MODEL = "gemini-3.1-flash-lite"
TRAINING_URI = "gs://bench-data/train.jsonl"


@dataclass
class Workload:
    kind: str
    job_seconds: float
    provider: ResourceProvider
    env: dict[str, str] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)
    emulator: Any = None

    def stack_config(self, *, widened: bool) -> dict[str, str]:
        if widened:
            return dict(self.config)
        return {**self.config, "vertex-tuning:maxConcurrentOperations": STOCK_WORKERS}

    def inputs(self, resource_name: str) -> dict[str, Any]:
        if self.kind == "toy":
            return {"sleep_seconds": self.job_seconds, "resource_name": resource_name}
        return {
            "base_model": BASE_MODEL,
            "training_dataset_uri": TRAINING_URI,
            "pulumi_stack": "bench",
            "pulumi_project": "bench",
            "resource_name": resource_name,
        }


def real_provider_available() -> bool:
    try:
        import vertex_tuning.emulator.server
        import vertex_tuning.provider  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def workload(job_seconds: float, *, toy: bool = False) -> Iterator[Workload]:
    if toy or not real_provider_available():
        from support.toy_provider import ToyProvider

        yield Workload("toy", job_seconds, ToyProvider(widen=True))
        return
    with tempfile.TemporaryDirectory(prefix="vertex-bench-") as data_dir:
        yield from _real(Path(data_dir), job_seconds)


def _real(data_dir: Path, job_seconds: float) -> Iterator[Workload]:
    from support.emulator import sample_dataset
    from vertex_tuning.emulator.server import EmulatorServer
    from vertex_tuning.emulator.storage import DataDir
    from vertex_tuning.provider import TuningJobProvider

    DataDir(data_dir).write_text(TRAINING_URI, sample_dataset())
    with EmulatorServer(data_dir, job_seconds=job_seconds) as emulator:
        yield Workload(
            "real",
            job_seconds,
            TuningJobProvider(),
            env={"VERTEX_AI_EMULATOR_HOST": emulator.host_port},
            config={"gcp:project": "bench-project", "gcp:region": "us-central1"},
            emulator=emulator,
        )
