"""What training on a job's datasets gives: the verdict, the resolved settings and tuningDataStats.

Read once, when a job starts; the job service stores the result. A dataset the service would
reject fails the job with the file, line and problem; otherwise the stats come from the file.
"""

from __future__ import annotations

import math
from collections import Counter

from .. import catalogue, datasets
from ..wire import (
    AdapterSize,
    Content,
    DatasetDistribution,
    Part,
    SupervisedHyperParameters,
    SupervisedTuningDataStats,
    TuningJob,
)
from .outcome import TrainingOutcome
from .storage import DataDir, StorageError

# Examples per training step (our choice; Vertex does not publish its batch size).
BATCH_SIZE = 8
# Exchanges kept per job for its tuned endpoint to answer from.
MAX_KEPT_EXCHANGES = 5000
# Dropped examples listed by index and reason (the API gives "a partial sample").
MAX_DROPPED_SAMPLE = 100

Exchange = list[str]
"""[system instruction, prompt, answer]: one model turn the endpoint can give."""


def train(
    job: TuningJob, model: catalogue.BaseModel, data: DataDir
) -> tuple[TrainingOutcome, list[Exchange]]:
    """(outcome, exchanges); `outcome.failure` names the problem when the datasets are unusable."""
    spec = job.supervised_tuning_spec
    assert spec is not None and spec.training_dataset_uri
    training = _read(data, spec.training_dataset_uri, model, "training")
    failure = _failure("Training", spec.training_dataset_uri, training)
    if failure is None and spec.validation_dataset_uri:
        validation = _read(
            data, spec.validation_dataset_uri, model, "validation", training_examples=training.example_count
        )
        failure = _failure("Validation", spec.validation_dataset_uri, validation)
    if failure is not None:
        return TrainingOutcome.failed(failure), []
    params = spec.hyper_parameters or SupervisedHyperParameters()
    epochs = params.epoch_count or model.default_epochs
    size = AdapterSize(params.adapter_size) if params.adapter_size is not None else AdapterSize.UNSPECIFIED
    adapter = (
        size if size is not AdapterSize.UNSPECIFIED else AdapterSize.from_rank(model.default_adapter_size)
    )
    per_epoch = math.ceil(training.example_count / BATCH_SIZE)
    exchanges = [
        [example.system, prompt, answer]
        for example in training.examples
        for prompt, answer in example.exchanges()
    ]
    outcome = TrainingOutcome(
        epochs=epochs,
        adapter_size=adapter.value,
        learning_rate_multiplier=params.learning_rate_multiplier or 1.0,
        steps_per_epoch=per_epoch,
        steps=per_epoch * epochs,
        validation=bool(spec.validation_dataset_uri),
        last_checkpoint_only=bool(spec.export_last_checkpoint_only),
        stats=_stats(training, epochs, per_epoch * epochs).to_json_dict(),
    )
    return outcome, exchanges


def _read(
    data: DataDir,
    uri: str,
    model: catalogue.BaseModel,
    purpose: datasets.Purpose,
    *,
    training_examples: int | None = None,
) -> datasets.DatasetReport:
    try:
        path = data.resolve(uri)
    except StorageError as error:
        report = datasets.DatasetReport(purpose, model.id)
        report.problems.append(datasets.DatasetProblem(None, str(error)))
        return report
    if not path.is_file():
        report = datasets.DatasetReport(purpose, model.id)
        report.problems.append(datasets.DatasetProblem(None, "the file does not exist"))
        return report
    return datasets.validate_dataset_file(
        path, model, purpose, training_examples=training_examples, keep_examples=MAX_KEPT_EXCHANGES
    )


def _failure(kind: str, uri: str, report: datasets.DatasetReport) -> str | None:
    if report.ok:
        return None
    return f"{kind} dataset {uri} is invalid: {report.summary()}"


def _distribution(values: Counter[int]) -> DatasetDistribution:
    summary = datasets.Distribution.of_counts(values)
    return DatasetDistribution(
        sum=summary.sum,
        billable_sum=summary.sum,
        min=summary.min,
        max=summary.max,
        mean=summary.mean,
        median=summary.median,
        p5=summary.p5,
        p95=summary.p95,
    )


def _stats(report: datasets.DatasetReport, epochs: int, steps: int) -> SupervisedTuningDataStats:
    examples = report.examples
    return SupervisedTuningDataStats(
        tuning_dataset_example_count=report.example_count + report.dropped_count,
        total_tuning_character_count=report.total_characters,
        total_billable_character_count=report.total_characters * epochs,
        total_billable_token_count=report.total_tokens * epochs,
        tuning_step_count=steps,
        total_truncated_example_count=report.dropped_count,
        truncated_example_indices=[dropped.index for dropped in report.dropped[:MAX_DROPPED_SAMPLE]],
        dropped_example_reasons=[dropped.reason for dropped in report.dropped[:MAX_DROPPED_SAMPLE]],
        user_input_token_distribution=_distribution(report.input_tokens),
        user_output_token_distribution=_distribution(report.output_tokens),
        user_message_per_example_distribution=_distribution(report.user_messages),
        user_dataset_examples=[
            Content(role=turn.role, parts=[Part(text=turn.text)]) for turn in examples[0].turns[:2]
        ],
    )
