"""Tuned-model routes: models.get and models.patch (`{id}`, `{id}@{version}` or `{id}@{alias}`)."""

from __future__ import annotations

from ..calls import LOCATION, Answer, Call, route
from ..services import Services


def get_model(services: Services, call: Call) -> Answer:
    return services.models.get(call.project, call.location, call.params["model"], call.version)


def patch_model(services: Services, call: Call) -> Answer:
    return services.models.patch(
        call.project,
        call.location,
        call.params["model"],
        call.read("model"),
        call.query.get("updateMask"),
        call.version,
    )


_MODEL = LOCATION + r"/models/(?P<model>[^/:]+)"
ROUTES = [
    route("GET", _MODEL, "models.get", get_model),
    route("PATCH", _MODEL, "models.patch", patch_model),
]
