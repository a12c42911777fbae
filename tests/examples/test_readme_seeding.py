"""The README's seeding commands upload every gs:// dataset the examples' stack files read."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]


def seeded_uris() -> set[str]:
    """What the README's `for name in ...; do ... dataset upload FILE gs://.../$name.jsonl` uploads."""
    readme = (ROOT / "README.md").read_text()
    loop = re.search(r"for name in (?P<names>[^;]+); do\n\s+\S+ dataset upload \S+ (?P<uri>gs://\S+)", readme)
    assert loop is not None, "the README's seeding loop is missing"
    return {loop["uri"].replace("$name", name) for name in loop["names"].split()}


def read_uris() -> set[str]:
    found: set[str] = set()
    for stack_file in ROOT.glob("examples/*/Pulumi.*.yaml"):
        if stack_file.name == "Pulumi.yaml":
            continue
        config = (yaml.safe_load(stack_file.read_text()) or {}).get("config", {})
        found |= {
            value
            for key, value in config.items()
            if isinstance(value, str) and value.startswith("gs://") and "stagingUri" not in key
        }
    return found


def test_every_dataset_an_example_reads_is_seeded_by_the_readme():
    assert read_uris() <= seeded_uris(), read_uris() - seeded_uris()
