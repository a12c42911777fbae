"""Which job a resource owns: adopt, create, and keep exactly one live job (in-memory service)."""

from __future__ import annotations

from typing import Any

import pytest
from provider_fakes import FakeJobClient

from support.clock import VirtualClock
from support.first_release import first_release_label
from vertex_tuning import spec, wire
from vertex_tuning.lifecycle import Lifecycle
from vertex_tuning.names import LocationName
from vertex_tuning.ownership import Claim, Deployment
from vertex_tuning.spec import ID_LABEL

JobState = wire.JobState
PROJECT, LOCATION = "p-1234", "us-central1"
INPUTS: dict[str, Any] = {
    "project": PROJECT,
    "location": LOCATION,
    "base_model": "gemini-3.1-flash-lite",
    "training_dataset_uri": "gs://bucket/train.jsonl",
    "epoch_count": 3,
    "adapter_size": 4,
    "learning_rate_multiplier": 1.0,
    "pulumi_organization": "acme",
    "pulumi_stack": "dev",
    "pulumi_project": "tuning",
    "resource_name": "support-bot",
}


def claim(lifecycle: Lifecycle, deployment: Deployment | None = None, **overrides: Any) -> Claim:
    return Claim(lifecycle, spec.parse({**INPUTS, **overrides}), deployment or Deployment())


def seed(
    service: FakeJobClient, label: str, state: JobState | None = JobState.RUNNING, **overrides: Any
) -> str:
    """A job made to INPUTS (with `overrides`) carrying `label`, one second after the last one.

    `state=None`: the job runs its course on the clock (and can be cancelled)."""
    template = spec.to_wire(spec.parse({**INPUTS, **overrides}))
    name = service.seed({ID_LABEL: label}, state or JobState.RUNNING, job=template)
    service.jobs[name].pinned = state
    service.clock.now += 1
    return name


# --- adopt or create ------------------------------------------------------------------------


def test_creates_a_labelled_job_when_none_exists(lifecycle: Lifecycle, service: FakeJobClient) -> None:
    owner = claim(lifecycle)
    job = owner.submit_or_adopt()
    assert service.calls["create"] == 1
    assert (job.labels or {})[ID_LABEL] == owner.label
    assert len(service.jobs) == 1


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.PENDING, JobState.RUNNING, JobState.SUCCEEDED])
def test_adopts_its_own_job_in_a_live_or_successful_state(
    lifecycle: Lifecycle, service: FakeJobClient, lines: list[str], state: JobState
) -> None:
    owner = claim(lifecycle)
    existing = seed(service, owner.label, state)
    assert owner.submit_or_adopt().name == existing
    assert service.calls["create"] == 0
    assert any("adopting" in line and existing in line for line in lines)


@pytest.mark.parametrize(
    "state", [JobState.FAILED, JobState.CANCELLED, JobState.CANCELLING, JobState.EXPIRED]
)
def test_never_adopts_a_failed_or_cancelled_job(
    lifecycle: Lifecycle, service: FakeJobClient, state: JobState
) -> None:
    owner = claim(lifecycle)
    old = seed(service, owner.label, state)
    assert owner.submit_or_adopt().name != old
    assert service.calls["create"] == 1


def test_never_adopts_a_job_with_another_identity(lifecycle: Lifecycle, service: FakeJobClient) -> None:
    # The fake ignores the list filter, so only the label check keeps this out.
    other = seed(service, "b" * 40)
    assert claim(lifecycle).submit_or_adopt().name != other
    assert service.calls["create"] == 1


def test_the_organization_is_part_of_the_identity(lifecycle: Lifecycle) -> None:
    """alice/proj/dev and bob/proj/dev, one GCP project: two identities, two jobs."""
    alice = claim(lifecycle, pulumi_organization="alice")
    bob = claim(lifecycle, pulumi_organization="bob")
    assert alice.label != bob.label


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("base_model", "gemini-3.5-flash"),
        ("training_dataset_uri", "gs://bucket/other.jsonl"),
        ("validation_dataset_uri", "gs://bucket/validation.jsonl"),
        ("epoch_count", 5),
        ("adapter_size", 8),
        ("learning_rate_multiplier", 2.0),
        ("service_account", "someone@p-1234.iam.gserviceaccount.com"),
    ],
)
def test_a_copied_label_on_another_spec_is_never_adopted_and_says_why(
    lifecycle: Lifecycle, service: FakeJobClient, lines: list[str], field: str, value: Any
) -> None:
    owner = claim(lifecycle)
    impostor = seed(service, owner.label, **{field: value})
    job = owner.submit_or_adopt()
    assert job.name != impostor and service.calls["create"] == 1
    refusal = [line for line in lines if line.startswith(f"not adopting {impostor}")]
    assert len(refusal) == 1 and f"its {field} is" in refusal[0]
    assert service.calls["cancel"] == 0, "a job that is not this resource's is never cancelled"


def test_a_copied_label_with_another_kms_key_is_never_adopted(
    lifecycle: Lifecycle, service: FakeJobClient, lines: list[str]
) -> None:
    # translation-llm-002 takes a customer-managed key (Gemini 3.x do not).
    owner = claim(lifecycle, base_model="translation-llm-002")
    key = f"projects/{PROJECT}/locations/{LOCATION}/keyRings/r/cryptoKeys/k"
    impostor = seed(service, owner.label, base_model="translation-llm-002", kms_key_name=key)
    assert owner.submit_or_adopt().name != impostor
    assert any("its kms_key_name is" in line for line in lines)


def test_a_job_another_resource_owns_is_neither_adopted_nor_cancelled(
    lifecycle: Lifecycle, service: FakeJobClient
) -> None:
    deployment = Deployment()
    owner = claim(lifecycle, deployment)
    owned = seed(service, owner.label, None)
    deployment.saw(owned)  # e.g. read or delete of an existing resource
    again = claim(lifecycle, deployment)
    assert again.submit_or_adopt().name != owned
    assert service.calls["cancel"] == 0


def test_falls_back_to_an_unfiltered_list_when_label_filters_are_refused(
    lifecycle: Lifecycle, service: FakeJobClient
) -> None:
    service.reject_label_filter = True
    owner = claim(lifecycle)
    existing = seed(service, owner.label)
    assert owner.submit_or_adopt().name == existing


# --- exactly one live job -------------------------------------------------------------------


def test_of_two_live_jobs_the_oldest_is_kept_and_the_other_cancelled(
    lifecycle: Lifecycle, service: FakeJobClient, lines: list[str]
) -> None:
    owner = claim(lifecycle)
    oldest = seed(service, owner.label, None)
    younger = seed(service, owner.label, None)
    assert owner.submit_or_adopt().name == oldest
    assert service.calls["cancel"] == 1 and service.jobs[younger].cancelled_at is not None
    assert any(line.startswith(f"cancelled {younger}") and oldest in line for line in lines)


def test_a_succeeded_job_wins_over_an_older_running_one(lifecycle: Lifecycle, service: FakeJobClient) -> None:
    owner = claim(lifecycle)
    running = seed(service, owner.label, None)
    done = seed(service, owner.label, JobState.SUCCEEDED)
    assert owner.submit_or_adopt().name == done
    assert service.jobs[running].cancelled_at is not None


def test_a_duplicate_that_appears_during_the_wait_is_cancelled_at_the_next_poll(
    lifecycle: Lifecycle, service: FakeJobClient, clock: VirtualClock, lines: list[str]
) -> None:
    """A create committed late: it shows up while the resource waits on its own job."""
    service.job_seconds = 60.0
    owner = claim(lifecycle)
    mine = owner.submit_or_adopt()
    late = seed(service, owner.label, None)  # committed after ours: younger
    final = lifecycle.wait(mine, 3600, reconcile=owner.reconcile)
    assert final.name == mine.name and final.job_state is JobState.SUCCEEDED
    assert service.states()[JobState.CANCELLED] == 1
    cancelled_after = service.jobs[late].cancelled_at - service.jobs[late].created  # type: ignore[operator]
    assert cancelled_after <= 2.0, "cancelled at the first poll after it appeared"
    assert any(line.startswith(f"cancelled {late}") for line in lines)


def test_a_job_cancelled_by_the_winner_follows_the_winner(
    lifecycle: Lifecycle, service: FakeJobClient, lines: list[str]
) -> None:
    """A racing host: its job lost to an older one, which this wait then follows to the end."""
    service.job_seconds = 60.0
    owner = claim(lifecycle)
    older = seed(service, owner.label, None)
    mine = service.create_tuning_job(
        LocationName(PROJECT, LOCATION), spec.to_wire(owner.job_spec, label=owner.label)
    )
    final = lifecycle.wait(mine, 3600, reconcile=owner.reconcile)
    assert final.name == older and final.job_state is JobState.SUCCEEDED
    assert service.jobs[str(mine.name)].cancelled_at is not None
    assert any(f"{older} is this resource's job" in line for line in lines)


# --- generations ----------------------------------------------------------------------------


def test_a_replacement_has_its_own_label_whatever_the_service_clock_says(
    lifecycle: Lifecycle, service: FakeJobClient
) -> None:
    """The replaced job and the replacement's interrupted job are told apart by label, not time."""
    deployment = Deployment()
    first = claim(lifecycle, deployment)
    old = seed(service, first.label, JobState.SUCCEEDED)
    # The replacement's interrupted job carries a creation time BEFORE the job it replaces.
    deployment.saw(old, {"create_time": "2030-01-01T00:00:00Z"}, {**INPUTS})
    replacement = claim(lifecycle, deployment)
    assert replacement.label != first.label
    service.clock.now = 0.0
    interrupted = seed(service, replacement.label, None)
    assert replacement.submit_or_adopt().name == interrupted
    assert service.calls["create"] == 0 and service.calls["cancel"] == 0


def test_an_earlier_generation_is_never_adopted_by_a_replacement(
    lifecycle: Lifecycle, service: FakeJobClient
) -> None:
    deployment = Deployment()
    generation_one = seed(service, claim(lifecycle).label, JobState.SUCCEEDED)
    deployment.saw("projects/p-1234/locations/us-central1/tuningJobs/77", {}, {**INPUTS})
    job = claim(lifecycle, deployment).submit_or_adopt()
    assert job.name != generation_one and service.calls["create"] == 1


# --- the first release's jobs ---------------------------------------------------------------


def test_without_an_organization_the_label_is_the_first_releases(lifecycle: Lifecycle) -> None:
    inputs = {key: value for key, value in INPUTS.items() if key != "pulumi_organization"}
    assert claim(lifecycle, pulumi_organization=None).label == first_release_label(inputs)


def test_a_job_the_first_release_started_is_adopted_after_the_upgrade(
    lifecycle: Lifecycle, service: FakeJobClient, lines: list[str]
) -> None:
    """An interrupted `pulumi up` before the upgrade left a running job with the old label."""
    inputs = {key: value for key, value in INPUTS.items() if key != "pulumi_organization"}
    old = seed(service, first_release_label(inputs), None)
    owner = claim(lifecycle)
    assert owner.label != first_release_label(inputs)
    assert owner.submit_or_adopt().name == old
    assert service.calls["create"] == 0 and service.calls["cancel"] == 0
