"""TuningJob and the messages inside it: the resource the tuning API creates, gets, lists and cancels."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .content import Content
from .proto import Int64, Labels, LenientTimestamp, OptionalExtra, ProtoEnum, Status, WireModel, enum_field


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


JobStateField = enum_field(JobState)
AdapterSizeField = enum_field(AdapterSize)
TuningJobStateField = enum_field(TuningJobState)


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
