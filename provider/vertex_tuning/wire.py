"""The tuning API's wire format, defined once for the client and the emulator.

Pydantic models of the JSON the Vertex AI REST API exchanges, following proto3 JSON rules:
lowerCamelCase out and snake_case also accepted in, int64 as strings out and numbers or strings in,
enums as names out and names or integers in (`$alt=json;enum-encoding=int`), RFC 3339 timestamps,
empty fields omitted. Unknown fields are kept (`extra="allow"`) so that nothing a newer service
returns is dropped on the way through; the emulator rejects them itself, as the service does.

Forward compatible (design decision 12): an enum value this code does not know becomes an
"unknown member" of its enum that keeps the service's text (`JobState("JOB_STATE_FUTURE")` is
not raised, it is carried: `.value` is the text, `.is_known` is False), and optional extras of an
answer (stats, metadata, usage, timestamps) that cannot be read are left out rather than fatal.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.alias_generators import to_camel


def _int64_in(value: Any) -> Any:
    """proto3 JSON accepts int64 as a number or a decimal string; a float must be integral."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"expected an integer, got {value}")
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise ValueError(f"expected an integer, got {value!r}") from None
    return value


Int64 = Annotated[int, BeforeValidator(_int64_in), PlainSerializer(str, return_type=str)]
"""An int64 field: a string on output, a number or a string on input."""


def _timestamp_out(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


Timestamp = Annotated[datetime, PlainSerializer(_timestamp_out, return_type=str)]
"""A google.protobuf.Timestamp: RFC 3339 in UTC with a `Z` and microseconds."""


STRICT: dict[str, Any] = {"strict_wire": True}
"""Validation context for what a caller sends (the emulator reading a request): nothing is
tolerated there, as the service refuses what it does not know. Answers are read without it."""


def _strict(info: ValidationInfo) -> bool:
    return bool(isinstance(info.context, dict) and info.context.get("strict_wire"))


def _or_none(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    """An optional extra that cannot be read is left out: it must never make the answer unusable."""
    if _strict(info):
        return handler(value)
    try:
        return handler(value)
    except ValidationError:
        return None


OptionalExtra = WrapValidator(_or_none)
"""Mark a field as an optional extra: `Annotated[X | None, OptionalExtra] = None`."""


class ProtoEnum(str, enum.Enum):
    """An enum that proto3 JSON spells by name and may also receive by number.

    Values the service sends that are not declared here are not errors: `tolerant` turns them
    into unknown members that keep the text. Calling the class itself (`JobState("...")`) stays
    strict, for what users type.
    """

    @classmethod
    def numbers(cls) -> dict[int, str]:
        return {number: member.value for number, member in enumerate(cls)}

    @classmethod
    def parse(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            try:
                return cls.numbers()[value]
            except KeyError:
                raise ValueError(f"{value} is not a valid {cls.__name__} number") from None
        return value

    @classmethod
    def tolerant(cls, value: Any) -> Any:
        """A member for any name or number; one this code does not know keeps its text."""
        if isinstance(value, bool) or not isinstance(value, (int, str)) or isinstance(value, cls):
            return value
        text = cls.numbers().get(value, str(value)) if isinstance(value, int) else value
        try:
            return cls(text)
        except ValueError:
            return cls._unknown(text)

    @classmethod
    def _unknown(cls, text: str) -> Any:
        member = str.__new__(cls, text)
        member._name_ = text
        member._value_ = text
        return member

    @property
    def is_known(self) -> bool:
        """False for a value a newer service sent that this code does not declare."""
        return self._value_ in type(self)._value2member_map_


E = TypeVar("E", bound=ProtoEnum)


class JobState(ProtoEnum):
    UNSPECIFIED = "JOB_STATE_UNSPECIFIED"
    QUEUED = "JOB_STATE_QUEUED"
    PENDING = "JOB_STATE_PENDING"
    RUNNING = "JOB_STATE_RUNNING"
    SUCCEEDED = "JOB_STATE_SUCCEEDED"
    FAILED = "JOB_STATE_FAILED"
    CANCELLING = "JOB_STATE_CANCELLING"
    CANCELLED = "JOB_STATE_CANCELLED"
    PAUSED = "JOB_STATE_PAUSED"
    EXPIRED = "JOB_STATE_EXPIRED"
    UPDATING = "JOB_STATE_UPDATING"
    PARTIALLY_SUCCEEDED = "JOB_STATE_PARTIALLY_SUCCEEDED"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES

    @property
    def short(self) -> str:
        """The state without its prefix, as people say it: `RUNNING`."""
        return self.value.removeprefix("JOB_STATE_")


TERMINAL_STATES = frozenset(
    {
        JobState.SUCCEEDED,
        JobState.FAILED,
        JobState.CANCELLED,
        JobState.EXPIRED,
        JobState.PARTIALLY_SUCCEEDED,
    }
)
"""States a job never leaves. Only SUCCEEDED is a success."""


class AdapterSize(ProtoEnum):
    # Declaration order is the proto's numbering, which is not size order (TWO was added last).
    UNSPECIFIED = "ADAPTER_SIZE_UNSPECIFIED"
    ONE = "ADAPTER_SIZE_ONE"
    FOUR = "ADAPTER_SIZE_FOUR"
    EIGHT = "ADAPTER_SIZE_EIGHT"
    SIXTEEN = "ADAPTER_SIZE_SIXTEEN"
    THIRTY_TWO = "ADAPTER_SIZE_THIRTY_TWO"
    TWO = "ADAPTER_SIZE_TWO"

    @property
    def rank(self) -> int:
        """The adapter's rank: ADAPTER_SIZE_EIGHT is 8 (0 for UNSPECIFIED and sizes not known here)."""
        return _ADAPTER_RANKS.get(self, 0)

    @classmethod
    def from_rank(cls, rank: int) -> AdapterSize:
        for member, member_rank in _ADAPTER_RANKS.items():
            if member_rank == rank and member is not cls.UNSPECIFIED:
                return member
        raise ValueError(f"no adapter size of rank {rank}")


_ADAPTER_RANKS = {
    AdapterSize.UNSPECIFIED: 0,
    AdapterSize.ONE: 1,
    AdapterSize.TWO: 2,
    AdapterSize.FOUR: 4,
    AdapterSize.EIGHT: 8,
    AdapterSize.SIXTEEN: 16,
    AdapterSize.THIRTY_TWO: 32,
}


class TuningJobState(ProtoEnum):
    """v1beta1's finer view of a job: what a PENDING or RUNNING job is doing."""

    UNSPECIFIED = "TUNING_JOB_STATE_UNSPECIFIED"
    WAITING_FOR_QUOTA = "TUNING_JOB_STATE_WAITING_FOR_QUOTA"
    PROCESSING_DATASET = "TUNING_JOB_STATE_PROCESSING_DATASET"
    WAITING_FOR_CAPACITY = "TUNING_JOB_STATE_WAITING_FOR_CAPACITY"
    TUNING = "TUNING_JOB_STATE_TUNING"
    POST_PROCESSING = "TUNING_JOB_STATE_POST_PROCESSING"

    @property
    def short(self) -> str:
        """Lowercase words, as a progress line says it: `waiting for quota`."""
        return self.value.removeprefix("TUNING_JOB_STATE_").replace("_", " ").lower()


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


def _enum_field(cls: type[E]) -> Any:
    """A field of enum `cls`: by name or number, and in answers any value a newer service sends
    (kept as text); in requests (the STRICT context) only the declared ones."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        return cls.parse(value) if _strict(info) else cls.tolerant(value)

    return Annotated[cls, BeforeValidator(validate)]


JobStateField = _enum_field(JobState)
AdapterSizeField = _enum_field(AdapterSize)
FinishReasonField = _enum_field(FinishReason)
TuningJobStateField = _enum_field(TuningJobState)
HarmCategoryField = _enum_field(HarmCategory)
HarmProbabilityField = _enum_field(HarmProbability)
HarmSeverityField = _enum_field(HarmSeverity)
BlockReasonField = _enum_field(BlockReason)
ModalityField = _enum_field(Modality)
TrafficTypeField = _enum_field(TrafficType)

LenientTimestamp = Annotated[Timestamp | None, OptionalExtra]
"""An output timestamp; one that is not RFC 3339 is left out, never fatal."""


def _label_text(item: Any) -> Any:
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item) if isinstance(item, (int, float)) else item


def _label_values(value: Any, info: ValidationInfo) -> Any:
    """Label values are strings; a number or boolean in an answer is kept as its text."""
    if isinstance(value, dict) and not _strict(info):
        return {key: _label_text(item) for key, item in value.items()}
    return value


Labels = Annotated[dict[str, str], BeforeValidator(_label_values)]


class WireModel(BaseModel):
    """Base of every wire message: camelCase aliases, snake_case accepted, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        use_enum_values=False,
    )

    def to_json_dict(self) -> dict[str, Any]:
        """The proto3 JSON form: camelCase, int64 as strings, empty fields left out."""
        body: dict[str, Any] = _drop_empty(self.model_dump(mode="json", by_alias=True, exclude_none=True))
        return body


def _drop_empty(value: Any) -> Any:
    """proto3 JSON omits empty messages, lists and maps, as the service does."""
    if isinstance(value, dict):
        cleaned = {key: _drop_empty(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in ({}, [])}
    if isinstance(value, list):
        return [_drop_empty(item) for item in value]
    return value


# --- google.rpc.Status and the error envelope ---------------------------------------------


class Status(WireModel):
    code: Annotated[int, BeforeValidator(_int64_in)] = 0
    message: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorBody(WireModel):
    code: int
    message: str
    status: str
    details: list[dict[str, Any]] | None = None


class ErrorEnvelope(WireModel):
    """`{"error": {"code": 404, "message": "...", "status": "NOT_FOUND"}}`."""

    error: ErrorBody


# --- TuningJob -----------------------------------------------------------------------------


class EncryptionSpec(WireModel):
    kms_key_name: str


class SupervisedHyperParameters(WireModel):
    epoch_count: Int64 | None = None
    learning_rate_multiplier: float | None = None
    adapter_size: AdapterSizeField | None = None  # type: ignore[valid-type]


class SupervisedTuningSpec(WireModel):
    training_dataset_uri: str | None = None
    validation_dataset_uri: str | None = None
    hyper_parameters: SupervisedHyperParameters | None = None
    export_last_checkpoint_only: bool | None = None
    evaluation_config: dict[str, Any] | None = None


class PreTunedModel(WireModel):
    """Continuous tuning: start from an earlier tuned model (`projects/…/models/{id}`)."""

    tuned_model_name: str | None = None
    checkpoint_id: str | None = None
    base_model: str | None = None  # output only: the base model the tuned model came from


class TunedModelCheckpoint(WireModel):
    checkpoint_id: str | None = None
    epoch: Int64 | None = None
    step: Int64 | None = None
    endpoint: str | None = None


class TunedModel(WireModel):
    model: str | None = None
    endpoint: str | None = None
    checkpoints: list[TunedModelCheckpoint] | None = None


class DatasetBucket(WireModel):
    count: float | None = None
    left: float | None = None
    right: float | None = None


class DatasetDistribution(WireModel):
    sum: Int64 | None = None
    billable_sum: Int64 | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    median: float | None = None
    p5: float | None = None
    p95: float | None = None
    buckets: list[DatasetBucket] | None = None


class SupervisedTuningDataStats(WireModel):
    tuning_dataset_example_count: Int64 | None = None
    total_tuning_character_count: Int64 | None = None
    total_billable_character_count: Int64 | None = None
    total_billable_token_count: Int64 | None = None
    tuning_step_count: Int64 | None = None
    total_truncated_example_count: Int64 | None = None
    truncated_example_indices: list[Int64] | None = None
    dropped_example_reasons: list[str] | None = None
    user_input_token_distribution: DatasetDistribution | None = None
    user_output_token_distribution: DatasetDistribution | None = None
    user_message_per_example_distribution: DatasetDistribution | None = None
    user_dataset_examples: list[Content] | None = None


class TuningDataStats(WireModel):
    supervised_tuning_data_stats: SupervisedTuningDataStats | None = None


class TuningJobMetadata(WireModel):
    """v1beta1's progress of a running job."""

    completed_epoch_count: Int64 | None = None
    completed_step_count: Int64 | None = None


class TuningJob(WireModel):
    # Inputs.
    base_model: str | None = None
    pre_tuned_model: PreTunedModel | None = None
    supervised_tuning_spec: SupervisedTuningSpec | None = None
    tuned_model_display_name: str | None = None
    description: str | None = None
    labels: Labels | None = None
    encryption_spec: EncryptionSpec | None = None
    service_account: str | None = None
    # Output only.
    name: str | None = None
    state: JobStateField | None = None  # type: ignore[valid-type]
    create_time: LenientTimestamp = None
    start_time: LenientTimestamp = None
    end_time: LenientTimestamp = None
    update_time: LenientTimestamp = None
    error: Status | None = None
    experiment: str | None = None
    tuned_model: TunedModel | None = None
    # Optional extras: one the client cannot read is left out, never fatal to a create or refresh.
    tuning_data_stats: Annotated[TuningDataStats | None, OptionalExtra] = None
    gcs_metrics_uri: str | None = None
    # v1beta1 only.
    tuning_job_state: TuningJobStateField | None = None  # type: ignore[valid-type]
    tuning_job_metadata: Annotated[TuningJobMetadata | None, OptionalExtra] = None

    @property
    def job_state(self) -> JobState:
        return JobState(self.state) if self.state is not None else JobState.UNSPECIFIED

    @property
    def detailed_state(self) -> TuningJobState | None:
        """What a waiting job is doing (v1beta1's `tuningJobState`), None when not reported."""
        return TuningJobState(self.tuning_job_state) if self.tuning_job_state is not None else None


class ListTuningJobsResponse(WireModel):
    tuning_jobs: list[TuningJob] = Field(default_factory=list)
    next_page_token: str | None = None


# --- generateContent -----------------------------------------------------------------------


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


SupervisedTuningDataStats.model_rebuild()
