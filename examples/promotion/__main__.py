"""Promotion: tune in dev on a sample; tune in prod on the full dataset only if dev passed.

Both stacks run this program. `dev` (Pulumi.dev.yaml) tunes on a sample and exports its evaluation.
`prod` (Pulumi.prod.yaml) sets `promoteFrom`: it reads dev's evaluation through a StackReference, and
its (costly) tuning job is only created when dev's next-token accuracy on the validation set reaches
`minEvalAccuracy`; otherwise `pulumi up` stops with an error and nothing is billed. A serving stack
(examples/serving) reads prod's endpoint through another StackReference.
"""

import pulumi

from vertex_tuning import TuningJob

EVAL_ACCURACY = "eval_fraction_of_correct_next_step_preds"
EVAL_LOSS = "eval_total_loss"

config = pulumi.Config()
training_dataset = pulumi.Output.from_input(config.require("trainingDatasetUri"))
promote_from = config.get("promoteFrom")


def gate(dataset: pulumi.Output[str], source_stack: str, threshold: float) -> pulumi.Output[str]:
    """The dataset URI, released only when the source stack's evaluation reached the threshold.

    The job's input waits on it, so a failing gate stops `pulumi up` before any job exists."""
    source = pulumi.StackReference("promote-from", stack_name=source_stack)

    def released(values: list) -> str:
        accuracy, uri = values
        if accuracy is None:
            raise pulumi.RunError(f"{source_stack} exports no evalAccuracy; run `pulumi up` on it first")
        if accuracy < threshold:
            raise pulumi.RunError(
                f"{source_stack} reached an eval accuracy of {accuracy:.3f}, below minEvalAccuracy "
                f"{threshold}; not tuning on the full dataset"
            )
        return uri

    return pulumi.Output.all(source.get_output("evalAccuracy"), dataset).apply(released)


if promote_from:
    training_dataset = gate(training_dataset, promote_from, config.require_float("minEvalAccuracy"))

job = TuningJob(
    "support-bot",
    base_model=config.get("baseModel") or "gemini-3.1-flash-lite",
    training_dataset_uri=training_dataset,
    validation_dataset_uri=config.require("validationDatasetUri"),
    epoch_count=config.get_int("epochCount") or 3,
    tuned_model_display_name=f"support-bot-{pulumi.get_stack()}",
    labels={"stage": pulumi.get_stack()},
)

pulumi.export("endpoint", job.tuned_model_endpoint_name)
pulumi.export("model", job.tuned_model_name)
pulumi.export("baseModel", job.base_model)  # picks the host that serves the tuned endpoint
pulumi.export("evalAccuracy", job.validation_metrics.apply(lambda final: (final or {}).get(EVAL_ACCURACY)))
pulumi.export("evalLoss", job.validation_metrics.apply(lambda final: (final or {}).get(EVAL_LOSS)))
