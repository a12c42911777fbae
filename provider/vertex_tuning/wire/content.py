"""generateContent: the request a tuned endpoint is prompted with and the answer it gives."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .proto import LenientTimestamp, OptionalExtra, ProtoEnum, WireModel, enum_field


class FinishReason(ProtoEnum):
    """Why a candidate stopped; Google adds values, so this is never a closed list."""

    UNSPECIFIED = "FINISH_REASON_UNSPECIFIED"
    STOP = "STOP"
    MAX_TOKENS = "MAX_TOKENS"
    SAFETY = "SAFETY"
    RECITATION = "RECITATION"
    OTHER = "OTHER"
    BLOCKLIST = "BLOCKLIST"
    PROHIBITED_CONTENT = "PROHIBITED_CONTENT"
    SPII = "SPII"
    MALFORMED_FUNCTION_CALL = "MALFORMED_FUNCTION_CALL"
    MODEL_ARMOR = "MODEL_ARMOR"
    IMAGE_SAFETY = "IMAGE_SAFETY"
    IMAGE_PROHIBITED_CONTENT = "IMAGE_PROHIBITED_CONTENT"
    IMAGE_RECITATION = "IMAGE_RECITATION"
    IMAGE_OTHER = "IMAGE_OTHER"
    UNEXPECTED_TOOL_CALL = "UNEXPECTED_TOOL_CALL"
    NO_IMAGE = "NO_IMAGE"
    MALFORMED_RESPONSE = "MALFORMED_RESPONSE"
    CONTINUATION = "CONTINUATION"
    TOO_MANY_TOOL_CALLS = "TOO_MANY_TOOL_CALLS"


class HarmCategory(ProtoEnum):
    UNSPECIFIED = "HARM_CATEGORY_UNSPECIFIED"
    HATE_SPEECH = "HARM_CATEGORY_HATE_SPEECH"
    DANGEROUS_CONTENT = "HARM_CATEGORY_DANGEROUS_CONTENT"
    HARASSMENT = "HARM_CATEGORY_HARASSMENT"
    SEXUALLY_EXPLICIT = "HARM_CATEGORY_SEXUALLY_EXPLICIT"
    CIVIC_INTEGRITY = "HARM_CATEGORY_CIVIC_INTEGRITY"


class HarmProbability(ProtoEnum):
    UNSPECIFIED = "HARM_PROBABILITY_UNSPECIFIED"
    NEGLIGIBLE = "NEGLIGIBLE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class HarmSeverity(ProtoEnum):
    UNSPECIFIED = "HARM_SEVERITY_UNSPECIFIED"
    NEGLIGIBLE = "HARM_SEVERITY_NEGLIGIBLE"
    LOW = "HARM_SEVERITY_LOW"
    MEDIUM = "HARM_SEVERITY_MEDIUM"
    HIGH = "HARM_SEVERITY_HIGH"


class BlockReason(ProtoEnum):
    UNSPECIFIED = "BLOCKED_REASON_UNSPECIFIED"
    SAFETY = "SAFETY"
    OTHER = "OTHER"
    BLOCKLIST = "BLOCKLIST"
    PROHIBITED_CONTENT = "PROHIBITED_CONTENT"


class Modality(ProtoEnum):
    UNSPECIFIED = "MODALITY_UNSPECIFIED"
    TEXT = "TEXT"
    IMAGE = "IMAGE"
    VIDEO = "VIDEO"
    AUDIO = "AUDIO"
    DOCUMENT = "DOCUMENT"


class TrafficType(ProtoEnum):
    UNSPECIFIED = "TRAFFIC_TYPE_UNSPECIFIED"
    ON_DEMAND = "ON_DEMAND"
    PROVISIONED_THROUGHPUT = "PROVISIONED_THROUGHPUT"


FinishReasonField = enum_field(FinishReason)
HarmCategoryField = enum_field(HarmCategory)
HarmProbabilityField = enum_field(HarmProbability)
HarmSeverityField = enum_field(HarmSeverity)
BlockReasonField = enum_field(BlockReason)
ModalityField = enum_field(Modality)
TrafficTypeField = enum_field(TrafficType)


class Blob(WireModel):
    mime_type: str | None = None
    data: str | None = None  # base64


class FileData(WireModel):
    mime_type: str | None = None
    file_uri: str | None = None


class FunctionCall(WireModel):
    name: str | None = None
    args: dict[str, Any] | None = None


class FunctionResponse(WireModel):
    name: str | None = None
    response: dict[str, Any] | None = None


class Part(WireModel):
    text: str | None = None
    inline_data: Blob | None = None
    file_data: FileData | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    thought: bool | None = None


class Content(WireModel):
    role: str | None = None
    parts: list[Part] = Field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(part.text or "" for part in self.parts)


class GenerationConfig(WireModel):
    temperature: float | None = None
    top_p: float | None = None
    top_k: float | None = None
    candidate_count: int | None = None
    max_output_tokens: int | None = None
    stop_sequences: list[str] | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_mime_type: str | None = None
    response_schema: dict[str, Any] | None = None  # an OpenAPI-style Schema
    response_json_schema: Any = None  # a JSON Schema


class SafetySetting(WireModel):
    category: str | None = None
    threshold: str | None = None
    method: str | None = None


class GenerateContentRequest(WireModel):
    contents: list[Content] = Field(default_factory=list)
    system_instruction: Content | None = None
    generation_config: GenerationConfig | None = None
    safety_settings: list[SafetySetting] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_config: dict[str, Any] | None = None
    labels: dict[str, str] | None = None


class SafetyRating(WireModel):
    category: HarmCategoryField | None = None  # type: ignore[valid-type]
    probability: HarmProbabilityField | None = None  # type: ignore[valid-type]
    probability_score: float | None = None
    severity: HarmSeverityField | None = None  # type: ignore[valid-type]
    severity_score: float | None = None
    blocked: bool | None = None


class Candidate(WireModel):
    content: Content | None = None
    finish_reason: FinishReasonField | None = None  # type: ignore[valid-type]
    finish_message: str | None = None
    avg_logprobs: float | None = None
    index: int | None = None
    safety_ratings: Annotated[list[SafetyRating] | None, OptionalExtra] = None


class PromptFeedback(WireModel):
    block_reason: BlockReasonField | None = None  # type: ignore[valid-type]
    block_reason_message: str | None = None
    safety_ratings: Annotated[list[SafetyRating] | None, OptionalExtra] = None


class ModalityTokenCount(WireModel):
    modality: ModalityField | None = None  # type: ignore[valid-type]
    token_count: int | None = None


class UsageMetadata(WireModel):
    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    total_token_count: int | None = None
    thoughts_token_count: int | None = None
    prompt_tokens_details: list[ModalityTokenCount] | None = None
    candidates_tokens_details: list[ModalityTokenCount] | None = None
    traffic_type: TrafficTypeField | None = None  # type: ignore[valid-type]


class GenerateContentResponse(WireModel):
    candidates: list[Candidate] = Field(default_factory=list)
    # Optional extras: usage counts and times are for display, never a reason to lose the answer.
    usage_metadata: Annotated[UsageMetadata | None, OptionalExtra] = None
    prompt_feedback: PromptFeedback | None = None
    model_version: str | None = None
    create_time: LenientTimestamp = None
    response_id: str | None = None

    @property
    def text(self) -> str:
        """The first candidate's text, as the SDKs' `.text` gives it."""
        if not self.candidates or self.candidates[0].content is None:
            return ""
        return self.candidates[0].content.text
