"""gcloud-style global options: `vertex-tuning jobs list --project p` as well as `--project p jobs list`."""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

GLOBAL_OPTIONS = frozenset(
    {"--project", "-p", "--location", "-l", "--impersonate-service-account", "--format"}
)
"""The root command's options that take a value; moved in front of the command wherever they are."""


def hoist_global_options(args: list[str]) -> list[str]:
    """Move global options found after the command to the front (never past a `--`)."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        if arg.split("=", 1)[0] in GLOBAL_OPTIONS:
            front.append(arg)
            if "=" not in arg and index + 1 < len(args):
                front.append(args[index + 1])
                index += 1
        else:
            rest.append(arg)
        index += 1
    return front + rest


class HoistingGroup(TyperGroup):
    """The root command group: accepts the global options after the command too."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))
