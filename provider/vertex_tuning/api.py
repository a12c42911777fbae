"""Plain functions for programs and scripts: list, get, cancel, prompt and read metrics.

Each takes names as text, validates them here (`names`), and uses the caller's `VertexClient` or a
new one with settings from the environment (`settings.resolve_settings`), closed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypedDict

from .client import VertexClient
from .errors import InvalidNameError
from .metrics_reader import MetricPoint
from .names import EndpointName, LocationName, TuningJobName
from .rules import LABEL_KEY, LABEL_VALUE
from .settings import resolve_settings
from .wire import (
    Content,
    GenerateContentRequest,
    GenerateContentResponse,
    GenerationConfig,
    JobState,
    Part,
    TuningJob,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack  # in `typing` from Python 3.11


@contextmanager
def _client_for(
    project: str | None, location: str | None, client: VertexClient | None
) -> Iterator[VertexClient]:
    """The caller's client, or a new one from the environment, closed afterwards."""
    if client is not None:
        yield client
        return
    with VertexClient(resolve_settings(project=project, location=location)) as created:
        yield created


def list_tuning_jobs(
    project: str | None = None,
    location: str | None = None,
    *,
    state: JobState | str | None = None,
    labels: Mapping[str, str] | None = None,
    filter: str | None = None,
    client: VertexClient | None = None,
) -> list[TuningJob]:
    """Tuning jobs in a project and location, optionally only those in `state` carrying `labels`.

    The state and labels go into the service's AIP-160 filter and are checked again here, because
    label filters are not confirmed to work on the real service.
    """
    wanted_state = _job_state(state) if state is not None else None
    wanted_labels = dict(labels or {})
    with _client_for(project, location, client) as active:
        settings = active.settings
        parent = LocationName(project or settings.project, location or settings.location)
        jobs = active.list_tuning_jobs(
            parent, filter=build_filter(state=wanted_state, labels=wanted_labels, extra=filter)
        )
        return [
            job
            for job in jobs
            if (wanted_state is None or job.job_state is wanted_state)
            and all((job.labels or {}).get(key) == value for key, value in wanted_labels.items())
        ]


def build_filter(
    *, state: JobState | None = None, labels: Mapping[str, str] | None = None, extra: str | None = None
) -> str | None:
    """An AIP-160 filter: `state="JOB_STATE_RUNNING" AND labels.team="ml"`, ANDed with `extra`."""
    terms = [f"({extra})"] if extra else []
    if state is not None:
        terms.append(f'state="{state.value}"')
    for key, value in (labels or {}).items():
        # Checked so that a label can never change the filter's meaning (no quotes, spaces, operators).
        if not LABEL_KEY.fullmatch(key) or not LABEL_VALUE.fullmatch(value):
            raise InvalidNameError(
                f"label {key}={value!r} is not valid; keys and values are lowercase letters, digits, "
                "'_' and '-' (up to 63 characters, keys start with a letter)"
            )
        terms.append(f'labels.{key}="{value}"')
    return " AND ".join(terms) or None


def _job_state(state: JobState | str) -> JobState:
    if isinstance(state, JobState):
        return state
    name = state.upper()
    try:
        return JobState(name if name.startswith("JOB_STATE_") else f"JOB_STATE_{name}")
    except ValueError:
        known = ", ".join(member.short for member in JobState)
        raise ValueError(f"unknown job state {state!r}; use one of {known}") from None


def get_tuning_job(name: str, *, client: VertexClient | None = None) -> TuningJob:
    """The tuning job `projects/{p}/locations/{l}/tuningJobs/{id}`, as the service has it now."""
    job = TuningJobName.parse(name)
    with _client_for(job.project, job.location, client) as active:
        return active.get_tuning_job(job)


def cancel_tuning_job(name: str, *, client: VertexClient | None = None) -> None:
    """Ask the service to cancel a tuning job; it moves to CANCELLING, then CANCELLED."""
    job = TuningJobName.parse(name)
    with _client_for(job.project, job.location, client) as active:
        active.cancel_tuning_job(job)


class GenerationOptions(TypedDict, total=False):
    """The sampling settings `generate_content` takes by keyword: `GenerationConfig` fields."""

    temperature: float | None
    top_p: float | None
    top_k: float | None
    max_output_tokens: int | None
    candidate_count: int | None
    stop_sequences: list[str] | None


def generate_content(
    endpoint: str,
    prompt: str | GenerateContentRequest,
    *,
    system_instruction: str | None = None,
    base_model: str | None = None,
    client: VertexClient | None = None,
    **options: Unpack[GenerationOptions],
) -> GenerateContentResponse:
    """Prompt a tuned model through its endpoint (a tuning job's `tuned_model_endpoint_name`).

    `base_model`: the job's base model, so that a Gemini 3.x tuned model is called on its
    multi-region host (`us` / `eu`). `options` are ignored when `prompt` is a whole request."""
    target = EndpointName.parse(endpoint)
    if isinstance(prompt, GenerateContentRequest):
        request = prompt
    else:
        config = GenerationConfig(**options)
        request = GenerateContentRequest(
            contents=[Content(role="user", parts=[Part(text=prompt)])],
            system_instruction=Content(parts=[Part(text=system_instruction)]) if system_instruction else None,
            generation_config=config if config.model_dump(exclude_none=True) else None,
        )
    with _client_for(target.project, target.location, client) as active:
        return active.generate_content(target, request, base_model=base_model)


def read_metrics(job_name: str, *, client: VertexClient | None = None) -> dict[str, list[MetricPoint]]:
    """A tuning job's training metrics by name (`/train_total_loss`, ...), each sorted by step."""
    job = TuningJobName.parse(job_name)
    with _client_for(job.project, job.location, client) as active:
        return active.read_metrics(job)
