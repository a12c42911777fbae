"""One Ctrl-C stops waiting: the engine's Cancel reaches every wait, and the job keeps running.

On a first Ctrl-C the engine starts nothing new, sends every provider the Cancel RPC and waits for
the operations in flight. The stock host (`python -m pulumi.dynamic`) answers Cancel by doing
nothing, so a create would go on waiting for its tuning job, for hours (seen with the real engine).
Inside the host we wrap its Cancel handler, found through grpc's server state as concurrency.py
finds the worker pool: it sets one process-wide event, and every wait of the provider sleeps on that
event (`sleep`), so a waiting create or delete ends at once with `EngineCancelledError`. The create
then fails with a message naming the job, the engine records no pending create, and the next
`pulumi up` adopts the job (decision 2). A host of another layout keeps the stock behaviour (a first
Ctrl-C waits, a second one terminates) and says so in one line.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from . import concurrency
from .errors import EngineCancelledError

CANCEL_METHOD = "/pulumirpc.ResourceProvider/Cancel"
_requested = threading.Event()
_lock = threading.Lock()
_NOTICE = "vertex-tuning: a first Ctrl-C will not stop a waiting job ({reason}); press it twice."


def sleep(seconds: float) -> None:
    """`time.sleep` that ends early, raising EngineCancelledError, once the engine asked to cancel."""
    if _requested.wait(seconds):
        raise EngineCancelledError("Pulumi was interrupted (Ctrl-C), so the provider stopped waiting")


def request() -> None:
    """What the engine's Cancel does: every wait in this process stops."""
    _requested.set()


def hook_cancel_rpc() -> bool:
    """Make the host's Cancel RPC call `request` first. True when it does (idempotent)."""
    if not concurrency.running_in_provider_host():
        return False
    with _lock:
        try:
            handlers = _cancel_handlers()
        except concurrency.UnexpectedHostLayout as problem:
            print(_NOTICE.format(reason=problem), file=sys.stderr, flush=True)
            return False
        for methods in handlers:
            original = methods[CANCEL_METHOD]
            if getattr(original.unary_unary, "stops_waits", False):
                continue
            stock = original.unary_unary

            def cancel(req: Any, context: Any, stock: Any = stock) -> Any:
                request()
                return stock(req, context)

            cancel.stops_waits = True  # type: ignore[attr-defined]
            methods[CANCEL_METHOD] = original._replace(unary_unary=cancel)
    return True


def _cancel_handlers() -> list[dict[str, Any]]:
    """The method tables of the host's server that route the Cancel RPC."""
    state = concurrency.started_server_state()
    tables = [
        methods
        for handler in getattr(state, "generic_handlers", ())
        if isinstance(methods := getattr(handler, "_method_handlers", None), dict)
        and CANCEL_METHOD in methods
    ]
    if not tables or not all(hasattr(methods[CANCEL_METHOD], "_replace") for methods in tables):
        raise concurrency.UnexpectedHostLayout("no Cancel handler in the host's gRPC server")
    return tables
