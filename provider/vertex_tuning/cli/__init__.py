"""The `vertex-tuning` command: the operator's tool outside `pulumi up`, and the local emulator.

Each command group lives in its own module and registers itself on `app` when imported here.
"""

from __future__ import annotations

import typer

from .hoisting import HoistingGroup

app = typer.Typer(
    cls=HoistingGroup,
    name="vertex-tuning",
    help="Vertex AI Gemini tuning jobs: operate them, prompt tuned models, run the local emulator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def register_commands() -> None:
    """Import the command modules; each registers its commands on `app`."""
    from . import common, dataset, emulator, jobs, metrics, prompt  # noqa: F401


def main() -> None:
    register_commands()
    app()
