"""The identity label the first release put on its jobs, kept to test the upgrade from it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from vertex_tuning import spec


def first_release_label(inputs: dict[str, Any]) -> str:
    """The label the first release computed: no organization, no replaced job (its formula, verbatim)."""
    job_spec = spec.parse(inputs)
    identity = {
        "stack": job_spec.pulumi_stack,
        "pulumi_project": job_spec.pulumi_project,
        "resource": job_spec.resource_name,
        "job": job_spec.job_fields(),
        "triggers": spec.canonical_json_value(job_spec.triggers),
    }
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:40]
