"""Tuning-job routes: create, get, list, cancel."""

from __future__ import annotations

import threading
from typing import Any

from starlette.responses import Response

from ...wire import TuningJob
from .. import schema
from ..calls import LOCATION, Answer, Call, DroppedResponse, fault_response, route
from ..protojson import parse_empty, to_model
from ..services import Services


def _job(call: Call, job: TuningJob) -> dict[str, Any]:
    return schema.for_version(job.to_json_dict(), call.version, "TuningJob")


def create(services: Services, call: Call) -> Answer:
    job = to_model(TuningJob, call.read("tuning_job"), "tuning_job")
    late = next((fault for fault in call.faults if fault.kind == "commit_late"), None)
    if late is not None:  # answered with an error now, committed `seconds` later (a 504 that still commits)
        commit = threading.Timer(
            late.seconds, services.jobs.create, (call.project, call.location, job), {"version": call.version}
        )
        commit.daemon = True
        commit.start()
        return fault_response(late)
    created = services.jobs.create(call.project, call.location, job, version=call.version)
    if any(fault.kind == "drop_after_commit" for fault in call.faults):
        return DroppedResponse()
    garbled = next((fault for fault in call.faults if fault.kind == "garble_after_commit"), None)
    if garbled is not None:
        body = garbled.message or ""
        return Response(body, media_type="text/html" if body.startswith("<") else "application/json")
    return _job(call, created)


def get(services: Services, call: Call) -> Answer:
    return _job(call, services.jobs.get(call.project, call.location, call.params["job"]))


def list_jobs(services: Services, call: Call) -> Answer:
    page = services.jobs.list_jobs(
        call.project,
        call.location,
        filter=call.query.get("filter", ""),
        page_size=call.query_int("pageSize"),
        page_token=call.query.get("pageToken", ""),
    )
    body = page.to_json_dict()
    if "tuningJobs" in body:
        body["tuningJobs"] = [
            schema.for_version(job, call.version, "TuningJob") for job in body["tuningJobs"]
        ]
    return body


def cancel(services: Services, call: Call) -> Answer:
    parse_empty(call.body)
    services.jobs.cancel(call.project, call.location, call.params["job"])
    return {}


_JOBS = LOCATION + r"/tuningJobs"
ROUTES = [
    route("POST", _JOBS, "tuningJobs.create", create),
    route("GET", _JOBS, "tuningJobs.list", list_jobs),
    route("GET", _JOBS + r"/(?P<job>[^/:]+)", "tuningJobs.get", get),
    route("POST", _JOBS + r"/(?P<job>[^/:]+):cancel", "tuningJobs.cancel", cancel),
]
