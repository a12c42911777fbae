"""What the HTTP routes reach: the job service (and its answers per API version), tuned models and
endpoints, metrics, faults and request counts, and the admin controls over them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from .control import Control
from .endpoints import Endpoints
from .faults import FaultBook
from .job_answers import JobAnswers
from .jobs import JobService
from .metrics import Metrics
from .tuned_models import TunedModels


@dataclass
class Services:
    """The services, and the per-family faces the routes call (each built once, on first use)."""

    jobs: JobService
    models: TunedModels
    faults: FaultBook = field(default_factory=FaultBook)
    requests: Counter[str] = field(default_factory=Counter)

    @cached_property
    def control(self) -> Control:
        return Control(self)

    @cached_property
    def tuning_jobs(self) -> JobAnswers:
        return JobAnswers(self.jobs)

    @cached_property
    def endpoints(self) -> Endpoints:
        return Endpoints(self.models)

    @cached_property
    def metrics(self) -> Metrics:
        return Metrics(self.jobs)
