"""`vertex-tuning prompt`: ask a tuned model's endpoint something and print its answer."""

from __future__ import annotations

from typing import Annotated

import typer

from ..names import EndpointName
from ..settings import Settings
from ..wire import Content, GenerateContentRequest, GenerationConfig, Part
from . import app
from .common import (
    ExitCode,
    api_client,
    chosen_format,
    console,
    errors,
    fail,
    reported_errors,
    resolved_settings,
)
from .output import emit


def endpoint_settings(ctx: typer.Context, value: str) -> tuple[Settings, EndpointName]:
    """Settings and the full endpoint name, from a bare ID in the configured project and location,
    or from a full name, which says where the endpoint is."""
    if value.isdigit():
        settings = resolved_settings(ctx)
        return settings, EndpointName(settings.project, settings.location, value)
    name = EndpointName.parse(value)
    return resolved_settings(ctx, project=name.project, location=name.location), name


def build_request(
    text: str,
    *,
    system: str | None,
    temperature: float | None,
    top_p: float | None,
    top_k: int | None,
    max_output_tokens: int | None,
) -> GenerateContentRequest:
    config = GenerationConfig(
        temperature=temperature, top_p=top_p, top_k=top_k, max_output_tokens=max_output_tokens
    )
    return GenerateContentRequest(
        contents=[Content(role="user", parts=[Part(text=text)])],
        system_instruction=Content(parts=[Part(text=system)]) if system else None,
        generation_config=config if config.model_dump(exclude_none=True) else None,
    )


@app.command("prompt")
def prompt(
    ctx: typer.Context,
    endpoint: Annotated[str, typer.Argument(help="The tuned endpoint: projects/…/endpoints/ID or the ID.")],
    text: Annotated[str, typer.Argument(help='What to ask, e.g. "Why is the sky blue?".')],
    temperature: Annotated[
        float | None, typer.Option("--temperature", min=0.0, max=2.0, help="0 to 2.")
    ] = None,
    top_p: Annotated[
        float | None, typer.Option("--top-p", min=0.0, max=1.0, help="Nucleus sampling, 0 to 1.")
    ] = None,
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
        raise fail("the prompt is empty; give the text to send", ExitCode.BAD_INPUT)
    request = build_request(
        text,
        system=system,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        max_output_tokens=max_output_tokens,
    )
    with reported_errors():
        settings, name = endpoint_settings(ctx, endpoint)
        with api_client(settings) as client:
            response = client.generate_content(name, request, base_model=base_model)
    chosen = chosen_format(ctx, as_json)
    if chosen.kind != "table":  # the whole response, for scripts
        emit(console, chosen, response.to_json_dict(), lambda: response.text)
        return
    if not response.candidates:
        raise fail(f"{name} returned no answer", ExitCode.FAILED)
    console.print(response.text, markup=False)
    candidate = response.candidates[0]
    usage = response.usage_metadata
    reason = candidate.finish_reason.value if candidate.finish_reason else "unknown"
    tokens = (
        f", {usage.prompt_token_count} prompt + {usage.candidates_token_count} answer tokens" if usage else ""
    )
    errors.print(f"[dim]finish reason {reason}{tokens}[/]")
