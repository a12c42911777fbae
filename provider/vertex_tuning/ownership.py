"""Decision 2, in one place: exactly one live job per resource identity, the oldest, in every process.

Vertex create has no idempotency key and a lookup cannot prove a job absent while a create may still
be committing, so ownership is settled after the fact, the same way by every process:
- a job is this resource's when it carries the resource's identity label AND its spec is what the
  inputs ask for (a copied label with another model, dataset or epochs is never adopted);
- among the resource's live jobs (queued, pending, running, succeeded) the winner is a succeeded
  one, else the oldest by the service's creation time, ties broken by name: every process sees the
  same jobs and picks the same one;
- after submitting (or adopting), and again on every poll of the wait, the resource's jobs are
  listed; every live one that is not the winner is cancelled at once, and the resource records the
  winner. A create committed late (after a timeout or a 504) is such a duplicate, and so is the job
  of a second `pulumi up` racing this one.

Generations are told apart by the label itself, not by the service's clock: a replacement's label
also hashes the job it replaces (`spec.identity_hash(replaces=...)`), so an earlier generation
(retired by `--replace`, or from before `triggers` changed back) can never match, while the
replacement's own interrupted job always does.

The host only learns which jobs the deployment already owns from the engine's calls:
`Deployment.saw` is called once by diff, read, update and delete with the resource's job, and
`Claim` (create) asks it what it knows. Jobs started by the first release carry a label without the
organization (and without the replaced job); they are still found and adopted, never cancelled.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from . import catalogue, spec, wire
from .errors import (
    FailedPreconditionError,
    NotFoundError,
    TuningJobFailedError,
    VertexTuningError,
    WaitInterruptedError,
    WaitTimeoutError,
)
from .lifecycle import TRANSIENT_ERRORS, Lifecycle, oldest_first
from .names import LocationName, TuningJobName

JobState = wire.JobState

LIVE_STATES = frozenset({JobState.QUEUED, JobState.PENDING, JobState.RUNNING, JobState.SUCCEEDED})
"""A job in one of these states is still, or already successfully, doing what we asked."""

_TIMESTAMP = TypeAdapter(datetime)
_IdentityKey = tuple[Any, ...]


@dataclass(frozen=True)
class Predecessor:
    """The job an existing resource owns, which a create of the same identity replaces."""

    job_name: str
    created: datetime | None


class Deployment:
    """What this host process learnt from the engine about the deployment's existing resources.

    The engine calls Diff (or Read, Update, Delete) with an existing resource's id before anything
    replaces it, so by the time a replacement is created its predecessor is known here."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owned: set[str] = set()
        self._replaced: dict[_IdentityKey, Predecessor] = {}

    def saw(
        self, job_name: str, olds: Mapping[str, Any] | None = None, news: Mapping[str, Any] | None = None
    ) -> None:
        """An existing resource owns `job_name`; with diff's olds and news, a create of that
        identity (news) now replaces it."""
        if not job_name:
            return
        with self._lock:
            self._owned.add(job_name)
            if news is not None:
                self._replaced[_key(news)] = Predecessor(job_name, _created(olds or {}))

    def owned(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._owned)

    def predecessor(self, job_spec: spec.TuningJobSpec) -> Predecessor | None:
        with self._lock:
            return self._replaced.get(_key(job_spec.model_dump()))


DEPLOYMENT = Deployment()
"""The host process's one memory of the deployment (a `pulumi up` is one host process)."""


def _key(props: Mapping[str, Any]) -> _IdentityKey:
    return tuple(props.get(name) for name in spec.IDENTITY_INPUTS)


def _created(olds: Mapping[str, Any]) -> datetime | None:
    try:
        return _TIMESTAMP.validate_python(olds.get("create_time"))
    except ValidationError:
        return None


# --- which jobs are this resource's ---------------------------------------------------------


def mismatch(job: wire.TuningJob, job_spec: spec.TuningJobSpec) -> str | None:
    """What about the job differs from the inputs, in a few words; None when it is what they ask for.

    Hyperparameters the inputs leave unset are the service's choice, so only set ones are compared."""
    for name, wanted, found in _compared(job, job_spec):
        same = (
            math.isclose(wanted, found)
            if isinstance(wanted, float) and isinstance(found, float)
            else wanted == found
        )
        if not same:
            return f"its {name} is {found!r}, the inputs say {wanted!r}"
    return None


def _compared(job: wire.TuningJob, job_spec: spec.TuningJobSpec) -> list[tuple[str, Any, Any]]:
    """(input, what the inputs say, what the job says) for each input the job echoes."""
    tuning = job.supervised_tuning_spec or wire.SupervisedTuningSpec()
    hyper = tuning.hyper_parameters or wire.SupervisedHyperParameters()
    pre_tuned = job.pre_tuned_model or wire.PreTunedModel()
    model: list[tuple[str, Any, Any]]
    if job_spec.base_model is not None:
        model = [("base_model", job_spec.base_model, _model_id(job.base_model))]
    else:
        model = [
            ("pre_tuned_model_name", job_spec.pre_tuned_model_name, pre_tuned.tuned_model_name),
            ("pre_tuned_checkpoint_id", job_spec.pre_tuned_checkpoint_id, pre_tuned.checkpoint_id),
        ]
    chosen = [
        ("epoch_count", job_spec.epoch_count, hyper.epoch_count),
        ("adapter_size", job_spec.adapter_size, _rank(hyper.adapter_size)),
        ("learning_rate_multiplier", job_spec.learning_rate_multiplier, hyper.learning_rate_multiplier),
    ]
    return [
        *model,
        ("training_dataset_uri", job_spec.training_dataset_uri, tuning.training_dataset_uri),
        ("validation_dataset_uri", job_spec.validation_dataset_uri, tuning.validation_dataset_uri),
        *((name, wanted, found) for name, wanted, found in chosen if wanted is not None),
        ("kms_key_name", job_spec.kms_key_name, job.encryption_spec and job.encryption_spec.kms_key_name),
        ("service_account", job_spec.service_account, job.service_account),
    ]


def _model_id(value: str | None) -> str | None:
    model = catalogue.find_base_model(value) if value else None
    return model.id if model is not None else value


def _rank(value: Any) -> Any:
    try:
        return wire.AdapterSize(value).rank if value else None
    except ValueError:
        return value  # a size this release does not know: passes through, and differs


def _rank_key(job: wire.TuningJob) -> tuple[bool, float, str]:
    """Sort key of the winner first: a succeeded job, then the oldest, then by name (a total order)."""
    return (job.job_state is not JobState.SUCCEEDED, *oldest_first(job))


# --- the claim of one create ----------------------------------------------------------------


@dataclass
class Claim:
    """One create's hold on its resource's job: submit or adopt, wait, and keep exactly one live job."""

    lifecycle: Lifecycle
    job_spec: spec.TuningJobSpec
    deployment: Deployment = DEPLOYMENT
    label: str = field(init=False)
    _legacy_label: str = field(init=False)
    _predecessor: Predecessor | None = field(init=False)
    _owned_elsewhere: frozenset[str] = field(init=False)
    _refused: set[str] = field(default_factory=set, init=False)
    current: wire.TuningJob | None = field(default=None, init=False)
    """The job this resource records so far: the winner, as of the last look."""

    def __post_init__(self) -> None:
        self._predecessor = self.deployment.predecessor(self.job_spec)
        self._owned_elsewhere = self.deployment.owned()
        replaces = self._predecessor.job_name if self._predecessor else None
        self.label = spec.identity_label(self.job_spec, replaces=replaces)
        # The first release hashed neither the organization nor the replaced job.
        first_release = self.job_spec.model_copy(update={"pulumi_organization": None})
        self._legacy_label = spec.identity_label(first_release)

    @property
    def _parent(self) -> LocationName:
        """Where the resource's jobs live; the spec's project and location were validated at check."""
        assert self.job_spec.project is not None
        return LocationName(self.job_spec.project, self.job_spec.location)

    def take(self, timeout_seconds: float) -> wire.TuningJob:
        """The resource's job once SUCCEEDED (decisions 1-3), after settling who owns what."""
        job = self.submit_or_adopt()
        try:
            return self.lifecycle.wait(job, timeout_seconds, reconcile=self.reconcile)
        except (TuningJobFailedError, WaitTimeoutError):
            raise  # these already say what became of the job and what to do next
        except VertexTuningError as error:
            # No resource records the job, so the error must: name it, and say how to go on.
            raise WaitInterruptedError(str((self.current or job).name), error) from error

    def submit_or_adopt(self) -> wire.TuningJob:
        """Adopt the resource's live job if there is one, else create it; then settle duplicates."""
        labelled = self.lifecycle.labelled_jobs(self._parent, self.label)
        adoptable = self._ours(labelled)
        if not adoptable and self._legacy_label != self.label:
            adoptable = self._legacy_jobs()
        if adoptable:
            chosen = min(adoptable, key=_rank_key)
            self.lifecycle.log(
                f"adopting {chosen.name} ({chosen.job_state.short}) instead of starting another job"
            )
            return self.reconcile(chosen)
        request = spec.to_wire(self.job_spec, label=self.label)
        created = self.lifecycle.create_new(request, self._parent, seen={job.name for job in labelled})
        return self.reconcile(created)

    def reconcile(self, mine: wire.TuningJob) -> wire.TuningJob:
        """The winner among the resource's live jobs (`mine` included); every other live one is cancelled.

        A failed lookup settles nothing and is tried again on the next poll."""
        self.current = mine
        try:
            found = self.lifecycle.labelled_jobs(self._parent, self.label)
        except TRANSIENT_ERRORS:
            return mine
        live = {job.name: job for job in self._ours(found)}
        if mine.job_state in LIVE_STATES:
            live.setdefault(mine.name, mine)  # a list may lag behind the create that made it
        if not live:
            return mine
        winner = min(live.values(), key=_rank_key)
        for job in live.values():
            if job.name != winner.name and not job.job_state.is_terminal:
                self._cancel_duplicate(job, winner)
        if winner.name != mine.name:
            self.lifecycle.log(f"{winner.name} is this resource's job (the oldest live one); following it")
        self.current = winner
        return winner

    def _ours(self, labelled: list[wire.TuningJob]) -> list[wire.TuningJob]:
        """The live jobs that are this resource's: not another resource's, and made to these inputs."""
        ours = []
        for job in labelled:
            if job.job_state not in LIVE_STATES or job.name in self._owned_elsewhere:
                continue
            why = mismatch(job, self.job_spec)
            if why is None:
                ours.append(job)
            elif job.name not in self._refused:
                self._refused.add(str(job.name))
                self.lifecycle.log(f"not adopting {job.name}: it carries this resource's label but {why}")
        return ours

    def _legacy_jobs(self) -> list[wire.TuningJob]:
        """Live jobs the first release started for this resource (adopted, never cancelled)."""
        labelled = self.lifecycle.labelled_jobs(self._parent, self._legacy_label)
        since = self._predecessor.created if self._predecessor else None
        # That release told a replacement's job from an earlier generation by creation time.
        return [
            job
            for job in self._ours(labelled)
            if since is None or (job.create_time is not None and job.create_time > since)
        ]

    def _cancel_duplicate(self, job: wire.TuningJob, winner: wire.TuningJob) -> None:
        try:
            self.lifecycle.client.cancel_tuning_job(TuningJobName.parse(job.name))
        except (NotFoundError, FailedPreconditionError):
            return  # gone or finished meanwhile: nothing left to stop
        except TRANSIENT_ERRORS as error:
            self.lifecycle.log(f"could not cancel the duplicate {job.name} yet ({error}); trying again")
            return
        self.lifecycle.log(
            f"cancelled {job.name} ({job.job_state.short}): a second job for this resource; "
            f"{winner.name} came first and is the one kept"
        )
