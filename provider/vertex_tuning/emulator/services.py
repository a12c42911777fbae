"""What the HTTP routes reach: the job service, tuned models and endpoints, faults and request counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .faults import FaultBook
from .jobs import JobService
from .tuned_models import TunedModels


@dataclass
class Services:
    jobs: JobService
    models: TunedModels
    faults: FaultBook = field(default_factory=FaultBook)
    requests: Counter[str] = field(default_factory=Counter)
