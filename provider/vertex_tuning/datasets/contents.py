"""The Gemini `contents` format: turns of parts, text or media, each part checked for the model.

The rules are the modality and dataset pages' (late 2026).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import catalogue
from .report import NO_MEDIA, Example, Media, Turn
from .turns import InvalidExample, build_example, check_roles

_GEMINI_KEYS = {"systemInstruction", "system_instruction", "contents", "tools", "generationConfig"}
_CONTENT_KINDS = {
    "text": "text",
    "fileData": "fileData",
    "file_data": "fileData",
    "inlineData": "inlineData",
    "inline_data": "inlineData",
    "functionCall": "functionCall",
    "function_call": "functionCall",
    "functionResponse": "functionResponse",
    "function_response": "functionResponse",
}
# What a part may carry besides its one kind of content (the modality pages list these).
_PART_METADATA = {
    "thought",
    "thoughtSignature",
    "thought_signature",
    "videoMetadata",
    "video_metadata",
    "mediaResolution",
    "media_resolution",
}
_MEDIA_KINDS = {"fileData", "inlineData"}
_URI_SCHEMES = ("gs://", "https://", "http://")
_ONE_IMAGE = catalogue.MediaCounts(images=1)
_ONE_VIDEO = catalogue.MediaCounts(videos=1)
_AUDIO_FILE = Media(catalogue.MediaCounts(audio_files=1))
_PDF = Media(catalogue.MediaCounts(pdfs=1))


def parse_contents(number: int, record: dict[str, Any], model: catalogue.BaseModel) -> Example:
    if "messages" in record and "contents" not in record:
        raise InvalidExample(
            f"uses the legacy `messages` format, which {model.id} does not take; use `contents`"
        )
    unknown = sorted(set(record) - _GEMINI_KEYS)
    if unknown:
        raise InvalidExample(
            f"unknown field {unknown[0]!r}; an example holds {', '.join(sorted(_GEMINI_KEYS))}"
        )
    contents = record.get("contents")
    if not isinstance(contents, list) or not contents:
        raise InvalidExample("`contents` must be a non-empty list of turns")
    resolution = _example_resolution(record.get("generationConfig"))
    system_value = record.get("systemInstruction", record.get("system_instruction"))
    context = _PartContext(model, resolution)
    system, media = _system_text(system_value, context)
    turns: list[Turn] = []
    for index, content in enumerate(contents):
        turn = _plain_text_turn(content)
        if turn is None:  # media, function calls, metadata or a mistake: the general path
            turn, turn_media = _parse_turn(index, content, context)
            if turn_media is not NO_MEDIA:
                media = media + turn_media
        turns.append(turn)
    check_roles([turn.role for turn in turns])
    return build_example(number, system, turns, media)


def _plain_text_turn(content: Any) -> Turn | None:
    """The common turn, `{"role": ..., "parts": [{"text": ...}, ...]}`, checked at low cost;
    None when it is anything else (then the general path checks it and names any mistake)."""
    if type(content) is not dict:
        return None
    role, parts = content.get("role", "user"), content.get("parts")
    if (role != "user" and role != "model") or type(parts) is not list or not parts:
        return None
    texts = []
    for part in parts:
        value = part.get("text") if type(part) is dict and len(part) == 1 else None
        if type(value) is not str or not value.strip():
            return None
        texts.append(value)
    return Turn(role, texts[0] if len(texts) == 1 else "\n".join(texts))


def _resolution_text(value: Any) -> str | None:
    """A mediaResolution as a name: `"MEDIA_RESOLUTION_LOW"` or a part's `{"level": ...}`."""
    if isinstance(value, dict):
        value = value.get("level")
    return value if isinstance(value, str) and value else None


def _example_resolution(config: Any) -> str | None:
    if not isinstance(config, dict):
        return None
    return _resolution_text(config.get("mediaResolution", config.get("media_resolution")))


@dataclass(slots=True)
class _PartContext:
    model: catalogue.BaseModel
    resolution: str | None  # the example's generationConfig.mediaResolution


def _system_text(value: Any, context: _PartContext) -> tuple[str, Media]:
    if value is None:
        return "", NO_MEDIA
    if not isinstance(value, dict):
        raise InvalidExample("`systemInstruction` must be an object with `parts`")
    return _parse_parts("systemInstruction", value.get("parts"), context)


def _parse_turn(index: int, content: Any, context: _PartContext) -> tuple[Turn, Media]:
    where = f"contents[{index}]"
    if not isinstance(content, dict):
        raise InvalidExample(f"{where} must be an object with `role` and `parts`")
    role = content.get("role", "user")  # an omitted role is the user's
    if role not in ("user", "model"):
        raise InvalidExample(f"{where}.role must be 'user' or 'model', not {role!r}")
    text, media = _parse_parts(where, content.get("parts"), context)
    return Turn(role, text), media


def _parse_parts(where: str, parts: Any, context: _PartContext) -> tuple[str, Media]:
    if not isinstance(parts, list) or not parts:
        raise InvalidExample(f"{where}.parts must be a non-empty list")
    texts: list[str] = []
    media = NO_MEDIA
    for index, part in enumerate(parts):
        if type(part) is dict and len(part) == 1 and type(part.get("text")) is str and part["text"].strip():
            texts.append(part["text"])  # the common case, checked without the general path's cost
            continue
        here = f"{where}.parts[{index}]"
        if not isinstance(part, dict) or not part:
            raise InvalidExample(f"{here} must be a non-empty object")
        kinds = [key for key in part if key in _CONTENT_KINDS]
        if len(kinds) != len(part):
            others = sorted(key for key in part if key not in _CONTENT_KINDS and key not in _PART_METADATA)
            if others:
                raise InvalidExample(f"{here} has unknown field {others[0]!r}")
        if len(kinds) != 1:
            raise InvalidExample(
                f"{here} must hold exactly one of text, fileData, functionCall, functionResponse"
            )
        key = kinds[0]
        kind = _CONTENT_KINDS[key]
        if kind == "text":
            if not isinstance(part[key], str) or not part[key].strip():
                raise InvalidExample(f"{here}.text must be non-empty text")
            texts.append(part[key])
        elif kind in _MEDIA_KINDS:
            resolution = _resolution_text(part.get("mediaResolution", part.get("media_resolution")))
            media = media + _media_part(here, part[key], context, resolution or context.resolution)
        elif not isinstance(part[key], dict) or not part[key].get("name"):
            raise InvalidExample(f"{here}.{kind} must be an object with a `name`")
    return "\n".join(texts), media


def _media_part(here: str, media: Any, context: _PartContext, resolution: str | None) -> Media:
    model = context.model
    if not model.multimodal:
        raise InvalidExample(f"{here} is a media part, but {model.id} is tuned on text only")
    if not isinstance(media, dict):
        raise InvalidExample(f"{here} must be an object with `mimeType`")
    mime = media.get("mimeType", media.get("mime_type"))
    if not isinstance(mime, str) or "/" not in mime:
        raise InvalidExample(f"{here}.mimeType must be a MIME type such as image/png")
    uri = media.get("fileUri", media.get("file_uri"))
    if uri is not None and (not isinstance(uri, str) or not uri.startswith(_URI_SCHEMES)):
        raise InvalidExample(f"{here}.fileUri must be a gs:// URI or an https:// URL")
    modality = _modality(mime)
    if modality is not None and modality not in model.modalities:
        raise InvalidExample(f"{here} is {modality.value} ({mime}), which {model.id} is not tuned on")
    if modality is catalogue.Modality.IMAGE:
        tokens = model.image_tokens.get(resolution, model.image_tokens[None])
        return Media(_ONE_IMAGE, image_tokens=tokens)
    if modality is catalogue.Modality.VIDEO:
        return Media(_ONE_VIDEO, resolution=resolution)
    if modality is catalogue.Modality.AUDIO:
        return _AUDIO_FILE
    if modality is catalogue.Modality.PDF:
        return _PDF
    return Media()


def _modality(mime: str) -> catalogue.Modality | None:
    kind = mime.split("/", 1)[0].lower()
    if mime.lower() == "application/pdf":
        return catalogue.Modality.PDF
    return {
        "image": catalogue.Modality.IMAGE,
        "video": catalogue.Modality.VIDEO,
        "audio": catalogue.Modality.AUDIO,
    }.get(kind)
