"""The route table: each family of routes lives in its own module; this joins them in match order."""

from __future__ import annotations

from .. import gcs
from ..calls import ApiRoute, route
from . import admin, endpoints, jobs, metrics, models

ROUTES: list[ApiRoute] = [
    *jobs.ROUTES,
    *endpoints.ROUTES,
    *models.ROUTES,
    *metrics.ROUTES,
    # Cloud Storage, for GitOps staging.
    *(
        route(method, pattern, name, handler, query=query, streams_body=streams)
        for method, pattern, name, handler, query, streams in gcs.ROUTE_SPECS
    ),
    *admin.ROUTES,
]
