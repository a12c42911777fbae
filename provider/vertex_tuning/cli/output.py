"""gcloud-style output: `--format json|yaml|table|value(FIELD,...)`.

json and yaml print the resources as the API spells them (proto3 JSON: camelCase, RFC 3339 times
in UTC with `Z`); `value(...)` prints the chosen fields, tab-separated, one resource per line, for
scripts; a table is for people, printed at its natural width so that no name is ever cut or folded.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

import yaml
from pydantic.alias_generators import to_camel
from rich.console import Console, RenderableType
from rich.measure import Measurement

Kind = Literal["table", "json", "yaml", "value"]
_VALUE = re.compile(r"value\((?P<fields>[^()]*)\)")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)*")


@dataclass(frozen=True)
class OutputFormat:
    kind: Kind
    fields: tuple[str, ...] = ()


def parse_format(text: str) -> OutputFormat:
    """`json`, `yaml`, `table` or `value(name,state,tunedModel.endpoint)`."""
    spec = text.strip()
    if spec in ("json", "yaml", "table"):
        return OutputFormat(spec)  # type: ignore[arg-type]
    match = _VALUE.fullmatch(spec)
    if match is not None:
        fields = tuple(field.strip() for field in match["fields"].split(",") if field.strip())
        bad = [field for field in fields if not _FIELD.fullmatch(field)]
        if fields and not bad:
            return OutputFormat("value", fields)
    raise ValueError(
        f"{text!r} is not an output format; use json, yaml, table or value(FIELD,...) "
        "such as value(name,state,tunedModel.endpoint)"
    )


def rfc3339(moment: datetime | None) -> str:
    """`2026-12-01T09:30:00Z`: a time with its zone, as the API and gcloud print them."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def field_value(resource: Any, path: str) -> Any:
    """`tunedModel.endpoint` of a JSON resource; snake_case accepted (`tuned_model.endpoint`)."""
    value = resource
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part, value.get(to_camel(part)))
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ";".join(_cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _write(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def print_natural_width(console: Console, renderable: RenderableType) -> None:
    """Print wider than the terminal when needed, so that nothing is cut (the terminal wraps lines)."""
    unbounded = console.options.update_width(100_000)
    needed = Measurement.get(console, unbounded, renderable).maximum
    terminal = console.width
    console.width = max(terminal, needed)  # print() alone never goes wider than the console
    try:
        console.print(renderable)
    finally:
        console.width = terminal


def emit(
    console: Console,
    chosen: OutputFormat,
    data: dict[str, Any] | Sequence[dict[str, Any]],
    table: Callable[[], RenderableType],
) -> None:
    """Print `data` (one resource or a list) in the chosen format; `table` builds the table."""
    # Machine formats go to stdout as they are: rich would expand tabs and style the text.
    if chosen.kind == "json":
        _write(json.dumps(data, indent=2, ensure_ascii=False))
    elif chosen.kind == "yaml":
        _write(
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False).rstrip("\n")
        )
    elif chosen.kind == "value":
        for resource in [data] if isinstance(data, dict) else data:
            _write("\t".join(_cell(field_value(resource, field)) for field in chosen.fields))
    else:
        print_natural_width(console, table())
