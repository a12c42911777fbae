"""What the HTTP routes reach: the job service (and its answers per API version), tuned models and
endpoints, metrics, faults and request counts, and the admin controls over them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from .control import Control
from .endpoints import Endpoints
from .faults import FaultBook
from .job_answers import JobAnswers
from .jobs import JobService
from .metrics import Metrics
from .tuned_models import TunedModels


@dataclass
class Services:
    jobs: JobService
    models: TunedModels
    faults: FaultBook = field(default_factory=FaultBook)
    requests: Counter[str] = field(default_factory=Counter)

    @property
    def control(self) -> Control:
        return Control(self)

    @property
    def tuning_jobs(self) -> JobAnswers:
        return JobAnswers(self.jobs)

    @property
    def endpoints(self) -> Endpoints:
        return Endpoints(self.models)

    @property
    def metrics(self) -> Metrics:
        return Metrics(self.jobs)
