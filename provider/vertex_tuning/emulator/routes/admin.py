"""The `/_emulator/` routes tests and the CLI steer the emulator with (never under /v1)."""

from __future__ import annotations

from ..calls import Answer, Call, route
from ..services import Services

_ADMIN = "/_emulator"


def stats(services: Services, call: Call) -> Answer:
    return services.control.stats()


def faults(services: Services, call: Call) -> Answer:
    return services.control.faults()


def add_fault(services: Services, call: Call) -> Answer:
    return services.control.add_fault(call.body)


def clear_faults(services: Services, call: Call) -> Answer:
    return services.control.clear_faults()


def settings(services: Services, call: Call) -> Answer:
    return services.control.settings(call.body)


def next_job(services: Services, call: Call) -> Answer:
    return services.control.next_job(call.body)


def control_job(services: Services, call: Call) -> Answer:
    return services.control.control_job(call.params["job"], call.params["verb"], call.body)


ROUTES = [
    route("GET", _ADMIN + "/stats", "admin.stats", stats, admin=True),
    route("GET", _ADMIN + "/faults", "admin.faults.list", faults, admin=True),
    route("POST", _ADMIN + "/faults", "admin.faults.add", add_fault, admin=True),
    route("DELETE", _ADMIN + "/faults", "admin.faults.clear", clear_faults, admin=True),
    route("PUT", _ADMIN + "/settings", "admin.settings", settings, admin=True),
    route("POST", _ADMIN + "/next-job", "admin.nextJob", next_job, admin=True),
    route("POST", _ADMIN + r"/jobs/(?P<job>\d+):(?P<verb>stick|fail|ignore-cancel)", "admin.jobs.control",
          control_job, admin=True),
]  # fmt: skip
