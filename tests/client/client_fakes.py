"""Canned API answers for the HTTP layer tests; the recorder, credentials and clock they run on
are in `tests/support` (`recorder`, `credentials`, `clock`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from vertex_tuning.client import VertexClient

PROJECT = "tuning-proj"
LOCATION = "us-central1"
JOB_NAME = f"projects/{PROJECT}/locations/{LOCATION}/tuningJobs/123"


def api_error(code: int, status: str, message: str = "nope", **headers: str) -> httpx.Response:
    return httpx.Response(
        code, headers=headers, json={"error": {"code": code, "message": message, "status": status}}
    )


def job_json(job_id: str = "123", state: str = "JOB_STATE_PENDING", **fields: Any) -> dict[str, Any]:
    return {"name": f"projects/{PROJECT}/locations/{LOCATION}/tuningJobs/{job_id}", "state": state, **fields}


ClientFactory = Callable[..., VertexClient]
