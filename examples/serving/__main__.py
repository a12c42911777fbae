"""Serving: pick up a tuned model's endpoint from the stack that tuned it, through a StackReference.

A new tuning run (a replacement, created before the old job is let go) changes the endpoint the
tuning stack exports; the next `pulumi up` here switches to it. Whatever serves traffic (a Cloud Run
service, an API gateway, an app's config) takes its settings from the outputs below.
"""

import pulumi

from vertex_tuning.client import serving_location
from vertex_tuning.names import api_host

config = pulumi.Config()
tuning_stack = config.require("tuningStack")
tuned = pulumi.StackReference("tuning", stack_name=tuning_stack)

endpoint = tuned.require_output("endpoint")
base_model = tuned.get_output("baseModel")


def generate_content_url(endpoint_name: str, base_model: str | None) -> str:
    """The REST URL an HTTP client posts prompts to (v1): Gemini 3.x tuned models are served only
    on the `us` / `eu` multi-region hosts, other models on their region's host."""
    location = endpoint_name.split("/")[3]
    host = api_host(serving_location(location, base_model))
    return f"https://{host}/v1/{endpoint_name}:generateContent"


pulumi.export("tuningStack", tuning_stack)
pulumi.export("endpoint", endpoint)
pulumi.export("model", tuned.get_output("model"))
pulumi.export(
    "generateContentUrl", pulumi.Output.all(endpoint, base_model).apply(lambda v: generate_content_url(*v))
)
