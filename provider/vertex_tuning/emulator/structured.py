"""Structured answers: when a request asks for JSON, the tuned answer comes back as JSON that fits.

`generationConfig.responseSchema` (Vertex's OpenAPI-style Schema: `type` STRING, OBJECT, ...) or
`responseJsonSchema` (JSON Schema: `type` "string", "object", ...) shapes the answer: every string
holds the tuned answer, numbers are 1, booleans true, an enum gives the value closest to the
answer, arrays hold `minItems` items (at least one), objects every property (in
`propertyOrdering` when given). `responseMimeType: application/json` alone gives the answer as
a JSON string.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..wire import GenerationConfig

JSON_MIME = "application/json"
_WORD = re.compile(r"\w+")
_MAX_DEPTH = 8
# What a scalar of each type holds; strings (and unknown types) hold the answer.
_SCALARS: dict[str, Any] = {"integer": 1, "number": 1.0, "boolean": True, "null": None}


def wants_json(config: GenerationConfig | None) -> bool:
    if config is None:
        return False
    return config.response_mime_type == JSON_MIME or bool(
        config.response_schema or config.response_json_schema
    )


def as_json(text: str, config: GenerationConfig) -> str:
    spec = config.response_schema or config.response_json_schema
    value = fit(spec, text) if isinstance(spec, dict) else text
    return json.dumps(value, ensure_ascii=False)


def fit(spec: dict[str, Any], text: str, depth: int = 0) -> Any:
    """A value of `spec`'s shape built from `text`."""
    choices = spec.get("anyOf") or spec.get("oneOf")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return fit(choices[0], text, depth)
    kind = spec.get("type")
    if isinstance(kind, list):  # JSON Schema: ["string", "null"]
        kind = next((item for item in kind if item != "null"), "string")
    kind = str(kind or ("object" if "properties" in spec else "string")).lower()
    if isinstance(spec.get("enum"), list) and spec["enum"]:
        return _closest(spec["enum"], text)
    if depth >= _MAX_DEPTH:
        return None
    if kind == "object":
        properties: dict[str, Any] = spec.get("properties") or {}
        order = [name for name in spec.get("propertyOrdering") or [] if name in properties]
        order += [name for name in properties if name not in order]
        return {name: fit(properties[name] or {}, text, depth + 1) for name in order}
    if kind == "array":
        count = max(1, int(spec.get("minItems") or spec.get("min_items") or 1))
        return [fit(spec.get("items") or {}, text, depth + 1) for _ in range(count)]
    return _SCALARS.get(kind, text)


def _closest(options: list[Any], text: str) -> Any:
    words = {word.lower() for word in _WORD.findall(text)}

    def overlap(option: Any) -> int:
        return len(words & {word.lower() for word in _WORD.findall(str(option))})

    return max(options, key=overlap)  # max keeps the first of equals
