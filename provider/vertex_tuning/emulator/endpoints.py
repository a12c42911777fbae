"""The tuned-endpoint service the routes call: generateContent, streamGenerateContent, countTokens
and endpoints.get, each over the job (and checkpoint) the endpoint serves."""

from __future__ import annotations

from typing import Any

from ..wire import GenerateContentRequest
from . import tuned_model
from .protojson import to_model
from .tuned_models import Serving, TunedModels


class Endpoints:
    def __init__(self, models: TunedModels) -> None:
        self.models = models

    def generate(self, project: str, location: str, endpoint_id: str, body: dict[str, Any]) -> dict[str, Any]:
        request, serving = self._generation(project, location, endpoint_id, body)
        return tuned_model.answer(request, serving, self.models.jobs.clock()).to_json_dict()

    def stream(
        self, project: str, location: str, endpoint_id: str, body: dict[str, Any]
    ) -> list[dict[str, Any]]:
        request, serving = self._generation(project, location, endpoint_id, body)
        chunks = tuned_model.stream(request, serving, self.models.jobs.clock())
        return [chunk.to_json_dict() for chunk in chunks]

    def count_tokens(
        self, project: str, location: str, endpoint_id: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        request = to_model(GenerateContentRequest, body, "")
        self.models.serving(project, location, endpoint_id)
        if not request.contents:
            raise tuned_model.invalid("contents is required.", "contents")
        return tuned_model.count_tokens(request)

    def get(self, project: str, location: str, endpoint_id: str) -> dict[str, Any]:
        return self.models.endpoint(project, location, endpoint_id)

    def _generation(
        self, project: str, location: str, endpoint_id: str, body: dict[str, Any]
    ) -> tuple[GenerateContentRequest, Serving]:
        request = to_model(GenerateContentRequest, body, "")
        serving = self.models.serving(project, location, endpoint_id)
        tuned_model.check_request(request)
        return request, serving
