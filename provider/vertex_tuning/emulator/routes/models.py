"""Tuned-model routes: models.get and models.patch (`{id}`, `{id}@{version}` or `{id}@{alias}`)."""

from __future__ import annotations

from ..calls import LOCATION, Answer, Call, route
from ..services import Services
from ..tuned_models import read_patch, versioned


def get_model(services: Services, call: Call) -> Answer:
    row = services.models.version(call.project, call.location, call.params["model"])
    return versioned(services.models.model(row), call.version)


def patch_model(services: Services, call: Call) -> Answer:
    changes = read_patch(call.read("model"))
    row = services.models.version(call.project, call.location, call.params["model"])
    body = services.models.patch_model(row, changes, call.query.get("updateMask"))
    return versioned(body, call.version)


_MODEL = LOCATION + r"/models/(?P<model>[^/:]+)"
ROUTES = [
    route("GET", _MODEL, "models.get", get_model),
    route("PATCH", _MODEL, "models.patch", patch_model),
]
