"""Errors the provider raises on purpose reach `pulumi up` as their message, not as a traceback.

The stock provider host (`python -m pulumi.dynamic`) turns every exception of a provider method into
the gRPC error text `traceback.format_exc()`, so a failed tuning job would show twenty lines of
Python frames before "Tuning job … ended FAILED: …" (seen with the real engine). The host's wrapper
looks up the `traceback` module in its own globals at each failure; inside the host we put a view of
that module there whose `format_exc` gives, for a `VertexTuningError` (each already says what
happened and what to do next), just `TypeName: message`. Every other exception, ours by mistake or
another dynamic provider's in the same stack, keeps its full traceback. Outside the host, or in a
host whose `__main__` has no `traceback` global, nothing changes.
"""

from __future__ import annotations

import sys
import threading
import traceback
import types
from typing import Any

from .concurrency import running_in_provider_host
from .errors import VertexTuningError

_lock = threading.Lock()


class _ReadableTraceback(types.ModuleType):
    """The `traceback` module, but for our own errors `format_exc` is one line per message."""

    def __init__(self) -> None:
        super().__init__("traceback")
        self.__dict__.update(traceback.__dict__)
        self.__dict__["format_exc"] = self._format_exc

    @staticmethod
    def _format_exc(limit: int | None = None, chain: bool = True) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, VertexTuningError):
            return f"{type(error).__name__}: {error}\n"
        return traceback.format_exc(limit, chain)


def readable_errors_in_host() -> bool:
    """Install the view in the provider host; True when it is (or already was) in place."""
    if not running_in_provider_host():
        return False
    namespace: dict[str, Any] = vars(sys.modules["__main__"])
    with _lock:
        current = namespace.get("traceback")
        if isinstance(current, _ReadableTraceback):
            return True
        if current is not traceback:
            return False  # a host built differently: leave its error reporting alone
        namespace["traceback"] = _ReadableTraceback()
    return True
