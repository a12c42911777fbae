"""Wall time of N concurrent creates through the real provider host: this provider vs the stock host.

For each N in 1, 4, 8, 16, 32 and each host mode, a fresh `python -m pulumi.dynamic` process is
driven as the engine drives a `pulumi up` of N new TuningJobs: Configure, N Checks, then N Creates
at once, each waiting for its emulator job to succeed. "widened" is the provider as shipped
(decision 8); "stock" is the same provider told to keep the host's four workers
(`vertex-tuning:maxConcurrentOperations: 4`), i.e. what any dynamic provider gets.
Reported: wall time of the creates, its ratio to N = 1, and stock / widened; and how long a Check
of one more resource takes while 8 creates wait (in the stock host it queues behind them).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import harness
from support.provider_host import ProviderHost
from workloads import Workload, workload

COUNTS = (1, 4, 8, 16, 32)
MODES = ("widened", "stock")


def run_stack(load: Workload, count: int, *, widened: bool) -> float:
    """Seconds from the first Create sent to the last one answered."""
    mode = "widened" if widened else "stock"
    names = [f"bench-{mode}-{count}-{index}" for index in range(count)]
    with ProviderHost(load.provider, env=load.env) as host, ThreadPoolExecutor(count) as engine:
        host.configure(load.stack_config(widened=widened))
        checked = list(engine.map(lambda name: host.check({}, load.inputs(name), name=name)[0], names))
        started = time.perf_counter()
        list(engine.map(lambda pair: host.create(pair[0], name=pair[1]), zip(checked, names, strict=True)))
        return time.perf_counter() - started


def check_while_waiting(load: Workload, *, widened: bool, waiting: int = 8) -> float:
    """Seconds a Check of one more resource takes while `waiting` creates wait for their jobs."""
    mode = "widened" if widened else "stock"
    names = [f"busy-{mode}-{index}" for index in range(waiting)]
    with ProviderHost(load.provider, env=load.env) as host, ThreadPoolExecutor(waiting) as engine:
        host.configure(load.stack_config(widened=widened))
        checked = [host.check({}, load.inputs(name), name=name)[0] for name in names]
        creates = [
            engine.submit(host.create, inputs, name=name) for inputs, name in zip(checked, names, strict=True)
        ]
        time.sleep(0.5)  # let every create that has a worker reach its wait
        elapsed = harness.timed(lambda: host.check({}, load.inputs(f"extra-{mode}"), name=f"extra-{mode}"))
        for create in creates:
            create.result()
        return elapsed


def main() -> None:
    arguments = harness.parser(__doc__ or "")
    arguments.add_argument("--toy", action="store_true", help="the toy provider instead of the real one")
    arguments.add_argument("--job-seconds", type=float, default=2.0, help="emulator job length")
    options = arguments.parse_args()
    wall: dict[str, dict[int, float]] = {mode: {} for mode in MODES}
    with workload(options.job_seconds, toy=options.toy) as load:
        for mode in MODES:
            for count in COUNTS:
                wall[mode][count] = run_stack(load, count, widened=mode == "widened")
        check_s = {mode: check_while_waiting(load, widened=mode == "widened") for mode in MODES}
    rows, runs = harness.versus_stock(wall, "widened", "widened", COUNTS, ".2f")
    headers = harness.VERSUS_STOCK_HEADERS
    notes = [
        f"Workload: {load.kind} provider, jobs of {load.job_seconds:g} s, one fresh host per cell.",
        f"A Check of one more resource while 8 creates wait: {check_s['widened'] * 1000:.1f} ms with this "
        f"provider, {check_s['stock'] * 1000:.0f} ms in the stock host (it queues behind the creates).",
    ]
    results = {
        "workload": load.kind,
        "job_seconds": load.job_seconds,
        "runs": runs,
        "check_while_8_wait_s": {mode: round(value, 4) for mode, value in check_s.items()},
    }
    harness.report(
        "concurrent creates through the provider host", headers, rows, results, options.json, notes
    )


if __name__ == "__main__":
    main()
