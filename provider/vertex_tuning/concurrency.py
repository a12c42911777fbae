"""Decision 8: lift the stock provider host's four-worker limit.

`python -m pulumi.dynamic` serves every dynamic resource of a stack from one gRPC server built on
`ThreadPoolExecutor(max_workers=4)`. A create that waits hours for a tuning job holds a worker, so a
stack of 16 jobs would take four times as long as one, and every other call (even a Check) queues
behind the first four. Neither Pulumi nor grpc offers a setting for it, so from inside the host
process we find that executor through grpc's server state and raise its limit.

The layout we rely on (checked before anything is touched; tested with pulumi 3.272 and grpcio
1.x, see tests/host/):
- the process's `__main__` is `pulumi.dynamic.__main__`;
- exactly one started `grpc._server._ServerState` whose `thread_pool` is a stdlib
  `ThreadPoolExecutor` (its `_max_workers`, `_shutdown_lock`, `_work_queue` and
  `_adjust_thread_count` are what `submit` itself uses to grow the pool).
If any of it differs we change nothing, say so in one stderr line, and the provider keeps working
at the stock four concurrent operations.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

DEFAULT_MAX_CONCURRENT_OPERATIONS = 64
CONFIG_KEY = "vertex-tuning:maxConcurrentOperations"
ENV_VAR = "VERTEX_TUNING_MAX_CONCURRENT_OPERATIONS"
_LIMIT = 1024  # each waiting job holds one mostly idle thread; beyond this, something is wrong
_HOST_MAIN_MODULE = "pulumi.dynamic.__main__"
_FALLBACK_NOTICE = (
    "vertex-tuning: could not widen the Pulumi provider host's worker pool ({reason}); "
    "the provider runs at the stock four concurrent operations."
)

_lock = threading.Lock()


class UnexpectedHostLayout(Exception):
    """The host's gRPC server is not built the way this module expects (a newer Pulumi or grpc)."""


def max_concurrent_operations(config_value: object = None) -> int:
    """The worker target: stack config `vertex-tuning:maxConcurrentOperations`, else the
    VERTEX_TUNING_MAX_CONCURRENT_OPERATIONS environment variable, else 64.

    Raises ValueError naming the setting when the value is not an integer in 1..1024."""
    source, raw = CONFIG_KEY, config_value
    if raw is None or raw == "":
        source, raw = ENV_VAR, os.environ.get(ENV_VAR)
    if raw is None or raw == "":
        return DEFAULT_MAX_CONCURRENT_OPERATIONS
    try:
        value = float(raw) if isinstance(raw, (int, float)) else float(str(raw).strip())
    except ValueError:
        value = float("nan")
    if not value.is_integer() or not 1 <= value <= _LIMIT:
        raise ValueError(f"{source} must be a whole number from 1 to {_LIMIT}, got {raw!r}")
    return int(value)


def running_in_provider_host() -> bool:
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) == _HOST_MAIN_MODULE


def widen_host_worker_pool(workers: int = DEFAULT_MAX_CONCURRENT_OPERATIONS) -> bool:
    """Let the provider host run up to `workers` RPCs at once. True when the pool now allows it.

    Idempotent and thread-safe; never lowers the limit. Outside the host (a Pulumi program, unit
    tests) it does nothing and returns False quietly. Inside a host of unexpected layout it prints
    one line on stderr and returns False."""
    if not running_in_provider_host():
        return False
    with _lock:
        try:
            _raise_limit(_find_server_pool(), workers)
        except UnexpectedHostLayout as problem:
            print(_FALLBACK_NOTICE.format(reason=problem), file=sys.stderr, flush=True)
            return False
    return True


def started_server_state() -> Any:
    """grpc's state of the one started server in this process (the provider host's)."""
    grpc_server = sys.modules.get("grpc._server")
    state_type = getattr(grpc_server, "_ServerState", None)
    if not isinstance(state_type, type):
        raise UnexpectedHostLayout("grpc._server._ServerState not found")
    # The host keeps its server in a local of main(): the garbage collector's list of live
    # objects is the only public way to reach it. `type(...) is` never runs foreign code.
    started = [
        state
        for state in gc.get_objects()
        if type(state) is state_type and getattr(getattr(state, "stage", None), "value", None) == "started"
    ]
    if len(started) != 1:
        raise UnexpectedHostLayout(f"expected one started grpc server, found {len(started)}")
    return started[0]


def _find_server_pool() -> ThreadPoolExecutor:
    """The executor of the one started grpc server in this process."""
    pool = getattr(started_server_state(), "thread_pool", None)
    if not isinstance(pool, ThreadPoolExecutor):
        raise UnexpectedHostLayout(f"server thread pool is {type(pool).__name__}, not ThreadPoolExecutor")
    return pool


def _raise_limit(pool: ThreadPoolExecutor, workers: int) -> None:
    internals: Any = pool  # ThreadPoolExecutor's private fields, verified before use
    needed = ("_max_workers", "_shutdown_lock", "_work_queue", "_adjust_thread_count")
    missing = [name for name in needed if not hasattr(internals, name)]
    if missing or not isinstance(internals._max_workers, int):
        raise UnexpectedHostLayout(f"ThreadPoolExecutor lacks {', '.join(missing) or 'an int _max_workers'}")
    # Under the lock `submit` holds while it grows the pool, so no submit sees a half-done change.
    with internals._shutdown_lock:
        if internals._max_workers >= workers:
            return
        internals._max_workers = workers
        # Calls queued before the limit rose (e.g. deletes waiting behind four others while the
        # first one configured the provider) get their threads now instead of at the next submit.
        for _ in range(internals._work_queue.qsize()):
            internals._adjust_thread_count()
