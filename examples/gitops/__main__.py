"""GitOps datasets: the training and validation files are in this repository, next to the stack.

`pulumi preview` validates them locally (format, roles, limits for the model, with line numbers)
before anything is uploaded or billed. `pulumi up` uploads each file to the staging bucket under
its content's SHA-256 (`gs://BUCKET/PREFIX/<sha256>.jsonl`, skipped when already there) and tunes
from that URI. Editing a file retunes; moving, renaming or touching it without changing its content
does not. The staging location is stack config `vertex-tuning:stagingUri` (or `staging_uri=`).
Paths are relative to this directory, where Pulumi runs the program and the provider.
"""

import pulumi

from vertex_tuning import TuningJob

job = TuningJob(
    "support-bot",
    base_model="gemini-3.1-flash-lite",
    training_dataset="data/train.jsonl",
    validation_dataset="data/validation.jsonl",
    epoch_count=3,
    labels={"app": "support-bot", "source": "gitops"},
)

pulumi.export("endpoint", job.tuned_model_endpoint_name)
pulumi.export("trainingDatasetUri", job.training_dataset_uri)
