"""Progress lines stay whole when many jobs wait in parallel threads of one host process."""

from __future__ import annotations

import subprocess
import sys

THREADS, LINES = 8, 200

WRITER = f"""
import threading
from vertex_tuning.progress import stderr_line

def report(worker):
    for line in range({LINES}):
        stderr_line(f"projects/p/locations/l/tuningJobs/{{worker}} is RUNNING after {{line}}s")

threads = [threading.Thread(target=report, args=(worker,)) for worker in range({THREADS})]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


def test_lines_from_parallel_waits_never_run_into_each_other():
    finished = subprocess.run(
        [sys.executable, "-c", WRITER], capture_output=True, text=True, check=True, timeout=60
    )

    lines = finished.stderr.splitlines()
    assert len(lines) == THREADS * LINES
    assert all(line.startswith("vertex-tuning: projects/") and line.endswith("s") for line in lines)
    assert all(line.count("vertex-tuning:") == 1 for line in lines)
