"""`TuningJob`: a Vertex AI Gemini supervised tuning job as a Pulumi resource.

    job = TuningJob("support-bot", base_model="gemini-3.1-flash-lite",
                    training_dataset_uri="gs://acme-ml/support/train.jsonl")
    pulumi.export("endpoint", job.tuned_model_endpoint_name)

`pulumi up` returns once the job SUCCEEDED, with the tuned model and its endpoint as outputs.
Every input is immutable: changing one (or `triggers`) tunes a new model, created before the old
resource is deleted, so consumers switch only once the new model is ready. `wait_timeout_minutes`
is the exception: it only bounds how long one `pulumi up` waits, and the job keeps running past it.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic

from . import fields
from .outputs import OUTPUTS
from .provider import TuningJobProvider


class TuningJob(pulumi.dynamic.Resource, module="vertex-tuning", name="TuningJob"):
    """A supervised tuning job; its id is the job's resource name."""

    job_name: pulumi.Output[str]
    """`projects/{number}/locations/{location}/tuningJobs/{id}`, also the resource id."""
    state: pulumi.Output[str]
    """`JOB_STATE_SUCCEEDED` after create; refresh shows later changes (e.g. a cancel)."""
    tuned_model_name: pulumi.Output[str]
    """`projects/…/models/{id}@{version}`: pass it as `pre_tuned_model_name` to tune it further."""
    tuned_model_endpoint_name: pulumi.Output[str]
    """`projects/…/endpoints/{id}`: the endpoint serving the tuned model (generateContent)."""
    checkpoints: pulumi.Output[list[dict[str, Any]]]
    """`checkpoint_id`, `epoch`, `step` and `endpoint` of each checkpoint the job exported."""
    experiment: pulumi.Output[str]
    """The Vertex AI Experiment holding the training metrics."""
    hyper_parameters: pulumi.Output[dict[str, Any]]
    """The values the service used: `epoch_count`, `adapter_size` (rank), `learning_rate_multiplier`."""
    tuning_data_stats: pulumi.Output[dict[str, Any]]
    """Statistics of the training dataset: example count, billable tokens, truncations, …"""
    training_metrics: pulumi.Output[dict[str, float]]
    """Final value of each training series, such as `train_total_loss`."""
    validation_metrics: pulumi.Output[dict[str, float]]
    """Final value of each validation series (`eval_*`); empty without a validation dataset."""
    create_time: pulumi.Output[str]
    start_time: pulumi.Output[str]
    end_time: pulumi.Output[str]
    console_url: pulumi.Output[str]
    """The job's page in the Google Cloud console."""
    estimated_training_tokens: pulumi.Output[int]
    """The billable training tokens the service counted (dataset tokens x epochs), for the price."""

    def __init__(
        self,
        resource_name: str,
        *,
        training_dataset_uri: pulumi.Input[str] | None = None,
        training_dataset: pulumi.Input[str] | None = None,
        validation_dataset: pulumi.Input[str] | None = None,
        staging_uri: pulumi.Input[str] | None = None,
        base_model: pulumi.Input[str] | None = None,
        pre_tuned_model_name: pulumi.Input[str] | None = None,
        pre_tuned_checkpoint_id: pulumi.Input[str] | None = None,
        validation_dataset_uri: pulumi.Input[str] | None = None,
        epoch_count: pulumi.Input[int] | None = None,
        adapter_size: pulumi.Input[int | str] | None = None,
        learning_rate_multiplier: pulumi.Input[float] | None = None,
        tuned_model_display_name: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        labels: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
        kms_key_name: pulumi.Input[str] | None = None,
        service_account: pulumi.Input[str] | None = None,
        export_last_checkpoint_only: pulumi.Input[bool] | None = None,
        project: pulumi.Input[str] | None = None,
        location: pulumi.Input[str] | None = None,
        wait_timeout_minutes: pulumi.Input[float] | None = None,
        triggers: pulumi.Input[Any] | None = None,
        api_version: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Tune `base_model` (or the earlier tuned model `pre_tuned_model_name`) on a JSONL dataset
        given as `training_dataset_uri` or as a local `training_dataset` file.

        :param training_dataset_uri: `gs://bucket/file.jsonl`, one example per line.
        :param training_dataset: instead of the URI, a local JSONL file (relative to the project
            directory): checked in preview, uploaded to `staging_uri` under its content's SHA-256.
            Moving or touching it changes nothing; editing it tunes a new model.
        :param validation_dataset: the same for the validation dataset.
        :param staging_uri: `gs://bucket/prefix` for local datasets; default stack config
            `vertex-tuning:stagingUri`.
        :param base_model: e.g. `gemini-3.1-flash-lite` (`publishers/google/models/…` accepted).
        :param pre_tuned_model_name: another TuningJob's `tuned_model_name`: continuous tuning.
        :param pre_tuned_checkpoint_id: the checkpoint of that model to start from.
        :param adapter_size: 1, 2, 4, 8, 16 or 32, or a name such as `ADAPTER_SIZE_FOUR`.
        :param labels: put on the job, the tuned model and its endpoint.
        :param kms_key_name: a Cloud KMS key in the job's region (customer-managed encryption).
        :param service_account: the service account the job runs as.
        :param project: default from stack config `vertex-tuning:project` / `gcp:project`, then
            GOOGLE_CLOUD_PROJECT, then Application Default Credentials.
        :param location: default from `vertex-tuning:location` / `gcp:region`, then
            GOOGLE_CLOUD_LOCATION, then `us-central1`.
        :param wait_timeout_minutes: how long `pulumi up` waits (default 24 hours); the job keeps
            running afterwards and the next `pulumi up` adopts it. Changing it never retunes.
        :param triggers: any value; changing it tunes a new model with the same inputs.
        :param api_version: `v1` (default) or `v1beta1`.
        """
        # The keywords are spelled out for users and IDEs; which of them are inputs is the table's
        # (a test holds the two equal).
        given = locals()
        inputs: dict[str, Any] = {name: given[name] for name in fields.USER_INPUTS}
        inputs.update(
            {
                # The provider host knows neither organization, stack, project nor resource name; the
                # job's identity label needs all four (the fully qualified stack, and the name) so that
                # no two resources, even in two organizations, ever adopt each other's job.
                "pulumi_organization": pulumi.get_organization() or None,
                "pulumi_stack": pulumi.get_stack(),
                "pulumi_project": pulumi.get_project(),
                "resource_name": resource_name,
            }
        )
        # Declared (as None) so that each output is an attribute of the resource.
        outputs: dict[str, Any] = dict.fromkeys(OUTPUTS)
        super().__init__(TuningJobProvider(), resource_name, {**inputs, **outputs}, opts)

    @classmethod
    def get(
        cls, resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> TuningJob:
        """Read an existing tuning job into this program, without owning it.

        `id` is the job's full name (`projects/…/locations/…/tuningJobs/ID`, another stack's
        `job_name`). Pulumi reads it through the provider: the outputs are the job's as the
        service has it, and the inputs are those the job echoes (model, datasets, labels, …).
        The job is never created, changed or cancelled by this program.
        """
        job = cls.__new__(cls)
        read = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        pulumi.dynamic.Resource.__init__(
            job, TuningJobProvider(), resource_name, dict.fromkeys(OUTPUTS), read
        )
        return job
