"""Tuning-job routes: create, get, list, cancel."""

from __future__ import annotations

from ..calls import LOCATION, Answer, Call, route
from ..services import Services


def create(services: Services, call: Call) -> Answer:
    return services.tuning_jobs.create(
        call.project, call.location, call.read("tuning_job"), call.version, call.faults
    )


def get(services: Services, call: Call) -> Answer:
    return services.tuning_jobs.get(call.project, call.location, call.params["job"], call.version)


def list_jobs(services: Services, call: Call) -> Answer:
    return services.tuning_jobs.list_jobs(call.project, call.location, call.version, call.list_request())


def cancel(services: Services, call: Call) -> Answer:
    return services.tuning_jobs.cancel(call.project, call.location, call.params["job"], call.body)


_JOBS = LOCATION + r"/tuningJobs"
ROUTES = [
    route("POST", _JOBS, "tuningJobs.create", create),
    route("GET", _JOBS, "tuningJobs.list", list_jobs),
    route("GET", _JOBS + r"/(?P<job>[^/:]+)", "tuningJobs.get", get),
    route("POST", _JOBS + r"/(?P<job>[^/:]+):cancel", "tuningJobs.cancel", cancel),
]
