"""Quickstart: tune Gemini on a small support dataset and export the tuned endpoint.

`make up` runs this against the local emulator (it seeds `data/train.jsonl` at the default URI).
Against Vertex AI, upload the dataset to your own bucket and point the program at it:
`pulumi config set trainingDatasetUri gs://YOUR_BUCKET/support-bot/train.jsonl`.
"""

import pulumi

from vertex_tuning import TuningJob

DEFAULT_DATASET_URI = "gs://quickstart/support-bot/train.jsonl"

config = pulumi.Config()

job = TuningJob(
    "support-bot",
    base_model=config.get("baseModel") or "gemini-3.1-flash-lite",
    training_dataset_uri=config.get("trainingDatasetUri") or DEFAULT_DATASET_URI,
    epoch_count=3,
    adapter_size=4,
    tuned_model_display_name="acme-support-bot",
    labels={"app": "support-bot"},
)

pulumi.export("job", job.job_name)
pulumi.export("endpoint", job.tuned_model_endpoint_name)
pulumi.export("model", job.tuned_model_name)
pulumi.export("baseModel", job.base_model)  # picks the host that serves the tuned endpoint
pulumi.export("console", job.console_url)
pulumi.export("estimated_training_tokens", job.estimated_training_tokens)
