"""Continuous tuning: a second TuningJob tunes further from the first one's tuned model.

`base` tunes Gemini on last month's conversations; `update` starts from base's tuned model
(`pre_tuned_model_name`) and tunes on this month's. The update waits for base to succeed, because its
input is base's output, and gets the same model id with the next version (`…/models/ID@2`). Changing
the update dataset retunes only the update; changing the base dataset retunes both.
"""

import pulumi

from vertex_tuning import TuningJob

config = pulumi.Config()

base = TuningJob(
    "support-base",
    base_model="gemini-3.1-flash-lite",
    training_dataset_uri=config.require("baseDatasetUri"),
    epoch_count=3,
    adapter_size=4,
    labels={"app": "support-bot", "generation": "base"},
)

update = TuningJob(
    "support-update",
    pre_tuned_model_name=base.tuned_model_name,
    training_dataset_uri=config.require("updateDatasetUri"),
    epoch_count=2,
    labels={"app": "support-bot", "generation": "update"},
)

pulumi.export("baseModel", base.tuned_model_name)
pulumi.export("updatedModel", update.tuned_model_name)
pulumi.export("endpoint", update.tuned_model_endpoint_name)
