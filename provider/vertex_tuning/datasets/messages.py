"""The legacy `messages` format of gemini-1.0-pro-002: `{"messages": [{"role": ..., "content": ...}]}`."""

from __future__ import annotations

from typing import Any

from .. import catalogue
from .report import NO_MEDIA, Example, Turn
from .turns import InvalidExample, build_example, check_roles


def parse_messages(number: int, record: dict[str, Any], model: catalogue.BaseModel) -> Example:
    if "contents" in record:
        raise InvalidExample(f"uses the `contents` format; {model.id} takes the `messages` format")
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidExample("`messages` must be a non-empty list")
    system = ""
    turns: list[Turn] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise InvalidExample(f"{where} must be an object with `role` and `content`")
        role, content = message.get("role"), message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise InvalidExample(f"{where}.content must be non-empty text")
        if role == "system" and index == 0:
            system = content
        elif role in ("user", "model"):
            turns.append(Turn(role, content))
        else:
            raise InvalidExample(f"{where}.role must be 'user' or 'model' (or 'system' first), not {role!r}")
    if not turns:
        raise InvalidExample("`messages` holds no user/model turns")
    check_roles([turn.role for turn in turns])
    return build_example(number, system, turns, NO_MEDIA)
