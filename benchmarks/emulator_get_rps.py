"""Requests per second of a job-status GET against the emulator (a few seconds; prints JSON and a line).

The emulator runs as its own process (as users run it), and a few keep-alive clients poll one
job's status, which is what a waiting `pulumi up` does.

    python benchmarks/emulator_get_rps.py [--seconds 3] [--clients 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

TRAIN = "gs://bench/train.jsonl"


def start_emulator(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "vertex_tuning.emulator", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on " not in line:
        process.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1].strip()


def hammer(url: str, until: float, counts: list[int], index: int) -> None:
    with httpx.Client() as client:
        while time.perf_counter() < until:
            response = client.get(url)
            response.raise_for_status()
            counts[index] += 1


def measure(seconds: float, clients: int) -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        (data_dir / "bench").mkdir()
        line = {
            "contents": [
                {"role": "user", "parts": [{"text": "q"}]},
                {"role": "model", "parts": [{"text": "a"}]},
            ]
        }
        (data_dir / "bench" / "train.jsonl").write_text(json.dumps(line) + "\n")
        process, base_url = start_emulator(data_dir)
        try:
            body = {
                "baseModel": "gemini-3.1-flash-lite",
                "supervisedTuningSpec": {"trainingDatasetUri": TRAIN},
            }
            job = httpx.post(
                f"{base_url}/v1/projects/bench/locations/us-central1/tuningJobs", json=body
            ).json()
            url = f"{base_url}/v1/{job['name']}"
            httpx.get(url).raise_for_status()  # warm up
            counts = [0] * clients
            until = time.perf_counter() + seconds
            started = time.perf_counter()
            threads = [threading.Thread(target=hammer, args=(url, until, counts, i)) for i in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=10)
    return {
        "benchmark": "emulator_get_rps",
        "route": "tuningJobs.get",
        "clients": clients,
        "seconds": round(elapsed, 3),
        "requests": sum(counts),
        "requests_per_second": round(sum(counts) / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    result = measure(args.seconds, args.clients)
    print(json.dumps(result))
    print(
        f"emulator job-status GET: {result['requests_per_second']} requests/s "
        f"({result['requests']} in {result['seconds']} s, {result['clients']} clients)"
    )


if __name__ == "__main__":
    main()
