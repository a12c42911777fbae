"""`vertex-tuning prompt`: ask a tuned model's endpoint something and print its answer."""

from __future__ import annotations

from typing import Annotated

import typer

from ..api import GenerationOptions, generate_content
from ..names import EndpointName
from . import app, common
from .output import emit

EndpointArgument = Annotated[
    str, typer.Argument(help="The tuned endpoint: projects/…/endpoints/ID or the ID.")
]
PromptArgument = Annotated[str, typer.Argument(help='What to ask, e.g. "Why is the sky blue?".')]
TemperatureOption = Annotated[float | None, typer.Option("--temperature", min=0.0, max=2.0, help="0 to 2.")]
TopPOption = Annotated[
    float | None, typer.Option("--top-p", min=0.0, max=1.0, help="Nucleus sampling, 0 to 1.")
]


@app.command("prompt")
def prompt(
    ctx: typer.Context,
    endpoint: EndpointArgument,
    text: PromptArgument,
    temperature: TemperatureOption = None,
    top_p: TopPOption = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", min=1, help="Sample from the K likeliest tokens.")
    ] = None,
    max_output_tokens: Annotated[
        int | None, typer.Option("--max-output-tokens", min=1, help="Longest answer, in tokens.")
    ] = None,
    system: Annotated[str | None, typer.Option("--system", help="A system instruction.")] = None,
    base_model: Annotated[
        str | None,
        typer.Option(
            "--base-model",
            help="The tuned model's base model; Gemini 3.x tuned models are served only on the "
            "us / eu multi-region hosts, so this picks the host.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Same as --format json (the whole response).")
    ] = False,
) -> None:
    """Print the tuned model's answer on stdout (finish reason and token counts on stderr)."""
    if not text.strip():
        raise common.fail("the prompt is empty; give the text to send", common.ExitCode.BAD_INPUT)
    with common.reported_errors():
        settings, name = common.named_settings(ctx, endpoint, EndpointName)
        with common.api_client(settings) as client:
            sampling = GenerationOptions(
                temperature=temperature, top_p=top_p, top_k=top_k, max_output_tokens=max_output_tokens
            )
            # The library's own request builder, as `vertex_tuning.generate_content` callers use it.
            response = generate_content(
                str(name), text, system_instruction=system, base_model=base_model, client=client, **sampling
            )
    chosen = common.chosen_format(ctx, as_json)
    if chosen.kind != "table":  # the whole response, for scripts
        emit(common.console, chosen, response.to_json_dict(), lambda: response.text)
        return
    if not response.candidates:
        raise common.fail(f"{name} returned no answer", common.ExitCode.FAILED)
    common.console.print(response.text, markup=False)
    candidate = response.candidates[0]
    usage = response.usage_metadata
    reason = candidate.finish_reason.value if candidate.finish_reason else "unknown"
    tokens = (
        f", {usage.prompt_token_count} prompt + {usage.candidates_token_count} answer tokens" if usage else ""
    )
    common.errors.print(f"[dim]finish reason {reason}{tokens}[/]")
