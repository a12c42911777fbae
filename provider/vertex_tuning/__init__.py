"""Vertex AI Gemini supervised tuning jobs as a Pulumi resource, and a local emulator of the API.

`TuningJob` is the resource. `list_tuning_jobs`, `get_tuning_job`, `cancel_tuning_job`,
`generate_content` and `read_metrics` are plain functions for programs and scripts. Names are
imported lazily so that the emulator and the CLI start without loading the Pulumi SDK.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "TuningJob": "vertex_tuning.resource",
    "TuningJobProvider": "vertex_tuning.provider",
    "list_tuning_jobs": "vertex_tuning.api",
    "get_tuning_job": "vertex_tuning.api",
    "cancel_tuning_job": "vertex_tuning.api",
    "generate_content": "vertex_tuning.api",
    "read_metrics": "vertex_tuning.api",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'vertex_tuning' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
