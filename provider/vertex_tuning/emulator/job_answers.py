"""The tuning-jobs service the routes call: the job service's jobs in the request's API version, and
a create run under the after-commit faults hitting it."""

from __future__ import annotations

from functools import partial
from typing import Any

from ..wire import TuningJob
from . import schema
from .calls import Answer, ListRequest
from .faults import Fault, commit_under_faults
from .jobs import JobService
from .protojson import parse_empty, to_model


class JobAnswers:
    def __init__(self, jobs: JobService) -> None:
        self.jobs = jobs

    def create(
        self, project: str, location: str, body: dict[str, Any], version: str, faults: list[Fault]
    ) -> Answer:
        # Read before any fault: a bad body is a 400 even when the create would have been faulted.
        job = to_model(TuningJob, body, "tuning_job")
        created = commit_under_faults(
            faults, partial(self.jobs.create, project, location, job, version=version)
        )
        return _versioned(created.to_json_dict(), version) if isinstance(created, TuningJob) else created

    def get(self, project: str, location: str, job_id: str, version: str) -> dict[str, Any]:
        return _versioned(self.jobs.get(project, location, job_id).to_json_dict(), version)

    def list_jobs(self, project: str, location: str, version: str, request: ListRequest) -> dict[str, Any]:
        page = self.jobs.list_jobs(
            project,
            location,
            filter=request.filter,
            page_size=request.page_size,
            page_token=request.page_token,
        ).to_json_dict()
        if "tuningJobs" in page:
            page["tuningJobs"] = [_versioned(job, version) for job in page["tuningJobs"]]
        return page

    def cancel(self, project: str, location: str, job_id: str, raw: bytes) -> dict[str, Any]:
        parse_empty(raw)
        self.jobs.cancel(project, location, job_id)
        return {}


def _versioned(job: dict[str, Any], version: str) -> dict[str, Any]:
    return schema.for_version(job, version, "TuningJob")
