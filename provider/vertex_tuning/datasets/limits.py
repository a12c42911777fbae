"""The service's limits on examples and datasets: what is dropped, and what fails a whole dataset."""

from __future__ import annotations

from .. import catalogue
from .report import NO_MEDIA, DatasetReport, Example

# Video tuning fails the job when more than this share of its examples is dropped.
MAX_DROPPED_VIDEO_SHARE = 0.10


def drop_reason(example: Example, model: catalogue.BaseModel) -> str | None:
    """Why Vertex leaves this example out of training (too much media, too many tokens), or None."""
    over = example.media.counts.first_over(model.media) if example.media is not NO_MEDIA else None
    if over is not None:
        count, limit, what = over
        return f"the example holds {count} {what}; {model.id} takes at most {limit} per example"
    if example.tokens > model.max_tokens_per_example:
        return (
            f"the example has about {example.tokens} tokens; "
            f"{model.id} takes at most {model.max_tokens_per_example} per example"
        )
    return None


def check_counts(report: DatasetReport, model: catalogue.BaseModel, training_examples: int | None) -> None:
    """The rules on the whole dataset, once every line is read: its size and its dropped share."""
    count = report.example_count
    if count == 0 and report.ok and report.dropped:
        first = report.dropped[0]
        report.add_problem(None, f"every example is left out (line {first.line}: {first.reason})")
    elif count == 0 and report.ok:
        report.add_problem(None, f"the {report.purpose} dataset holds no examples")
    if (
        report.video_examples
        and report.dropped_video_examples > MAX_DROPPED_VIDEO_SHARE * report.video_examples
    ):
        report.add_problem(
            None,
            f"{report.dropped_video_examples} of {report.video_examples} video examples are left out; "
            f"more than {MAX_DROPPED_VIDEO_SHARE:.0%} fails a video tuning job",
        )
    if report.purpose == "validation":
        _check_validation_size(report, model, training_examples)
        return
    multimodal = report.multimodal_examples > 0
    cap = model.max_multimodal_examples if multimodal else model.max_text_examples
    if count > cap:
        kind = "multimodal" if multimodal else "text-only"
        report.add_problem(None, f"the dataset holds {count} examples; the limit is {cap} for {kind} tuning")


def _check_validation_size(
    report: DatasetReport, model: catalogue.BaseModel, training_examples: int | None
) -> None:
    """At most 5,000 examples (1,024 for translation-llm-002), and at most 30 % of the training
    examples once there are more than 1,000 (the supervised-tuning page's limits)."""
    count = report.example_count
    if count > model.max_validation_examples:
        report.add_problem(
            None,
            f"the validation dataset holds {count} examples; {model.id} takes at most "
            f"{model.max_validation_examples}",
        )
    elif model.validation_share is not None and training_examples is not None:
        above, share = model.validation_share
        if count > above and count > share * training_examples:
            report.add_problem(
                None,
                f"the validation dataset holds {count} examples, more than {above} and more than "
                f"{share:.0%} of the {training_examples} training examples",
            )
