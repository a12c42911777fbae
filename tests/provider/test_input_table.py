"""The input table in `fields` is the one place the TuningJob's inputs are spelled."""

from __future__ import annotations

import inspect

from pydantic import BaseModel

from vertex_tuning import fields, wire
from vertex_tuning.resource import TuningJob


def test_the_resource_keywords_are_the_tables_user_inputs() -> None:
    parameters = inspect.signature(TuningJob.__init__).parameters.values()
    keywords = {p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.name != "opts"}
    assert keywords == set(fields.USER_INPUTS)
    assert not keywords & set(fields.IDENTITY_INPUTS)


def test_every_wire_path_names_a_field_of_the_request_body() -> None:
    for name, entry in fields.INPUTS.items():
        if entry.wire is None:
            continue
        model: type[BaseModel] = wire.TuningJob
        *parents, leaf = entry.wire.split(".")
        for part in [*parents, leaf]:
            by_alias = {field.alias or key: field for key, field in model.model_fields.items()}
            assert part in by_alias, (name, entry.wire)
            annotation = by_alias[part].annotation
            nested = [arg for arg in getattr(annotation, "__args__", ()) if isinstance(arg, type)]
            model = next((arg for arg in nested if issubclass(arg, BaseModel)), model)


def test_only_job_inputs_go_to_vertex() -> None:
    sent = {name for name, entry in fields.INPUTS.items() if entry.wire is not None}
    assert sent <= set(fields.JOB_INPUTS)
    assert set(fields.JOB_INPUTS) - sent == {"project", "location"}  # those are in the URL
