"""What a tuned endpoint says: deterministically, the model turn of the most similar training prompt.

Similarity is word overlap (Jaccard) between the request's last user turn and each training
prompt, plus half the overlap of the system instructions, so a system instruction steers the
answer as it does on a tuned model. With temperature above 0, candidate i is the i-th best match
(so several candidates differ); at temperature 0 every candidate is the best one.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ..datasets import estimate_tokens, truncate_to_tokens
from ..wire import (
    Candidate,
    Content,
    FinishReason,
    GenerateContentRequest,
    GenerateContentResponse,
    ModalityTokenCount,
    Part,
    UsageMetadata,
)
from . import structured
from .resources import timestamp
from .rpc import invalid
from .store import JobRow
from .tuned_models import Serving

__all__ = ["answer", "check_request", "count_tokens", "invalid", "stream"]

MAX_CANDIDATES = 8
DEFAULT_TEMPERATURE = 1.0  # Gemini's default
_WORD = re.compile(r"\w+")
_STREAM_PIECE = re.compile(r"\S+\s*|\s+")
_WORDS_PER_CHUNK = 4
# Tokens per media part by modality (estimates; the service counts by size and duration).
# Flat per-part estimates for usage details (a prompt has no mediaResolution to go by here).
_MEDIA_TOKENS = {"IMAGE": 258, "DOCUMENT": 258, "VIDEO": 1290, "AUDIO": 320}
_MODALITIES = {
    "image": "IMAGE",
    "video": "VIDEO",
    "audio": "AUDIO",
    "application": "DOCUMENT",
    "text": "TEXT",
}


def check_request(request: GenerateContentRequest) -> None:
    if not request.contents:
        raise invalid("contents is required.")
    if not any(part.text for content in request.contents for part in content.parts):
        raise invalid("contents must hold at least one text part.")
    config = request.generation_config
    if config is None:
        return
    if config.candidate_count is not None and not 1 <= config.candidate_count <= MAX_CANDIDATES:
        raise invalid(f"generation_config.candidate_count must be between 1 and {MAX_CANDIDATES}.")
    if config.max_output_tokens is not None and config.max_output_tokens < 1:
        raise invalid("generation_config.max_output_tokens must be positive.")
    if config.temperature is not None and not 0 <= config.temperature <= 2:
        raise invalid("generation_config.temperature must be between 0 and 2.")
    if config.stop_sequences is not None and len(config.stop_sequences) > 5:
        raise invalid("generation_config.stop_sequences holds at most 5 sequences.")


def answer(request: GenerateContentRequest, serving: Serving, now: float) -> GenerateContentResponse:
    row = serving.row
    candidates = [
        Candidate(
            index=index,
            content=Content(role="model", parts=[Part(text=text)]),
            finish_reason=reason,
            avg_logprobs=-0.05 * (1 + index),
        )
        for index, (text, reason) in enumerate(_candidate_texts(request, serving.exchanges))
    ]
    return GenerateContentResponse(
        candidates=candidates,
        usage_metadata=_usage(request, [c.content.text for c in candidates if c.content]),
        model_version=row.base_model,
        create_time=timestamp(now),
        response_id=_response_id(row, request),
    )


def stream(request: GenerateContentRequest, serving: Serving, now: float) -> list[GenerateContentResponse]:
    """The same answer as `answer`, a few words per chunk; the last chunk carries finish and usage."""
    row = serving.row
    texts = _candidate_texts(request, serving.exchanges)
    chunks: list[GenerateContentResponse] = []
    for index, (text, reason) in enumerate(texts):
        pieces = _STREAM_PIECE.findall(text) or [""]
        groups = ["".join(pieces[i : i + _WORDS_PER_CHUNK]) for i in range(0, len(pieces), _WORDS_PER_CHUNK)]
        for number, group in enumerate(groups):
            last = number == len(groups) - 1
            candidate = Candidate(
                index=index,
                content=Content(role="model", parts=[Part(text=group)]),
                finish_reason=reason if last else None,
            )
            chunks.append(
                GenerateContentResponse(
                    candidates=[candidate],
                    model_version=row.base_model,
                    create_time=timestamp(now),
                    response_id=_response_id(row, request),
                )
            )
    chunks[-1].usage_metadata = _usage(request, [text for text, _ in texts])
    return chunks


def _candidate_texts(
    request: GenerateContentRequest, exchanges: list[list[str]]
) -> list[tuple[str, FinishReason]]:
    config = request.generation_config
    count = (config.candidate_count if config else None) or 1
    temperature = config.temperature if config and config.temperature is not None else DEFAULT_TEMPERATURE
    ranked = _ranked_answers(request, exchanges)
    texts = [ranked[(index if temperature > 0 else 0) % len(ranked)] for index in range(count)]
    finished = [_finish(text, request) for text in texts]
    if config is not None and structured.wants_json(config):
        return [(structured.as_json(text, config), reason) for text, reason in finished]
    return finished


def _ranked_answers(request: GenerateContentRequest, exchanges: list[list[str]]) -> list[str]:
    prompt = _words(_last_user_text(request))
    system = _words(request.system_instruction.text if request.system_instruction else "")

    def score(item: tuple[int, list[str]]) -> tuple[float, int]:
        index, (example_system, example_prompt, _) = item
        value = _jaccard(prompt, _words(example_prompt)) + 0.5 * _jaccard(system, _words(example_system))
        return (-value, index)

    return [exchange[2] for _, exchange in sorted(enumerate(exchanges), key=score)]


def _finish(text: str, request: GenerateContentRequest) -> tuple[str, FinishReason]:
    config = request.generation_config
    stops = [stop for stop in (config.stop_sequences or []) if stop] if config else []
    cuts = [text.find(stop) for stop in stops if stop in text]
    if cuts:
        text = text[: min(cuts)]
    limit = config.max_output_tokens if config else None
    if limit is not None and estimate_tokens(text) > limit:
        return truncate_to_tokens(text, limit), FinishReason.MAX_TOKENS
    return text, FinishReason.STOP


def count_tokens(request: GenerateContentRequest) -> dict[str, Any]:
    """countTokens: the prompt's tokens, as generateContent's usage counts them."""
    details = _prompt_details(request)
    characters = sum(len(content.text) for content in request.contents)
    return {
        "totalTokens": sum(details.values()),
        "totalBillableCharacters": characters,
        "promptTokensDetails": [{"modality": name, "tokenCount": count} for name, count in details.items()],
    }


def _prompt_details(request: GenerateContentRequest) -> dict[str, int]:
    """Prompt tokens per modality: text by the shared estimate, media parts by a flat estimate each."""
    details = {"TEXT": 0}
    contents = [*request.contents, *([request.system_instruction] if request.system_instruction else [])]
    for content in contents:
        for part in content.parts:
            details["TEXT"] += estimate_tokens(part.text or "")
            media = part.inline_data or part.file_data
            if media is not None:
                modality = _MODALITIES.get((media.mime_type or "").split("/")[0], "DOCUMENT")
                details[modality] = details.get(modality, 0) + _MEDIA_TOKENS.get(modality, 0)
    return details


def _usage(request: GenerateContentRequest, texts: list[str]) -> UsageMetadata:
    details = _prompt_details(request)
    prompt = sum(details.values())
    answered = sum(estimate_tokens(text) for text in texts)
    return UsageMetadata(
        prompt_token_count=prompt,
        candidates_token_count=answered,
        total_token_count=prompt + answered,
        prompt_tokens_details=[ModalityTokenCount(modality=m, token_count=n) for m, n in details.items()],
        candidates_tokens_details=[ModalityTokenCount(modality="TEXT", token_count=answered)],
    )


def _last_user_text(request: GenerateContentRequest) -> str:
    for content in reversed(request.contents):
        if (content.role or "user").lower() == "user" and content.text:
            return content.text
    return request.contents[-1].text


def _words(text: str) -> frozenset[str]:
    return frozenset(word.lower() for word in _WORD.findall(text))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def _response_id(row: JobRow, request: GenerateContentRequest) -> str:
    digest = hashlib.sha256((row.id + request.model_dump_json()).encode()).hexdigest()
    return digest[:22]
