"""Serving: pick up a tuned model's endpoint from the stack that tuned it, through a StackReference.

A new tuning run (a replacement, created before the old job is let go) changes the endpoint the
tuning stack exports; the next `pulumi up` here switches to it. Whatever serves traffic (a Cloud Run
service, an API gateway, an app's config) takes its settings from the outputs below.
"""

import pulumi

config = pulumi.Config()
tuning_stack = config.require("tuningStack")
tuned = pulumi.StackReference("tuning", stack_name=tuning_stack)

endpoint = tuned.require_output("endpoint")


def generate_content_url(endpoint_name: str) -> str:
    """The REST URL an HTTP client posts prompts to (regional host, v1)."""
    location = endpoint_name.split("/")[3]
    return f"https://{location}-aiplatform.googleapis.com/v1/{endpoint_name}:generateContent"


pulumi.export("tuningStack", tuning_stack)
pulumi.export("endpoint", endpoint)
pulumi.export("model", tuned.get_output("model"))
pulumi.export("generateContentUrl", endpoint.apply(generate_content_url))
