"""Run a Pulumi program (an example's `__main__.py`) under Pulumi's mocks and look at what it did.

The mocks stand in for the engine: every registered resource is recorded with its inputs, a
TuningJob answers with outputs shaped like a succeeded job's, and a StackReference answers with the
outputs the test gives for that stack. Nothing reaches a provider, the network or the emulator.
"""

from __future__ import annotations

import asyncio
import gc
import runpy
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config

DYNAMIC_PREFIX = "pulumi-python:dynamic"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
PROJECT_NUMBER = "123456789012"


def succeeded_job_outputs(resource_name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What the provider returns for a succeeded job: its inputs plus the computed outputs."""
    number = zlib.crc32(resource_name.encode()) % 10**9
    place = f"projects/{PROJECT_NUMBER}/locations/{inputs.get('location') or 'us-central1'}"
    has_validation = bool(inputs.get("validation_dataset_uri") or inputs.get("validation_dataset"))
    evaluation = {"eval_total_loss": 0.5, "eval_fraction_of_correct_next_step_preds": 0.78}
    return {
        **inputs,
        "job_name": f"{place}/tuningJobs/{number}",
        "state": "JOB_STATE_SUCCEEDED",
        "tuned_model_name": f"{place}/models/{number + 1}@1",
        "tuned_model_endpoint_name": f"{place}/endpoints/{number + 2}",
        "training_metrics": {"train_total_loss": 0.42, "train_fraction_of_correct_next_step_preds": 0.81},
        "validation_metrics": evaluation if has_validation else {},
        "console_url": f"https://console.cloud.google.com/vertex-ai/tuningJob/{number}",
    }


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    """Records every resource; answers TuningJobs and StackReferences as described above."""

    stack_outputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    resources: list[mocks.MockResourceArgs] = field(default_factory=list)

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        if args.typ == STACK_REFERENCE:
            stack = args.inputs["name"]
            outputs = dict(self.stack_outputs[stack])
            return stack, {"name": stack, "outputs": outputs, "secretOutputNames": []}
        if args.typ.startswith(DYNAMIC_PREFIX):
            outputs = succeeded_job_outputs(args.name, args.inputs)
            return outputs["job_name"], outputs
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def of_type(self, prefix: str) -> list[mocks.MockResourceArgs]:
        return [resource for resource in self.resources if resource.typ.startswith(prefix)]

    @property
    def tuning_jobs(self) -> dict[str, dict[str, Any]]:
        """Each TuningJob's inputs (without the pickled provider), by resource name."""
        return {
            job.name: {key: value for key, value in job.inputs.items() if key != "__provider"}
            for job in self.of_type(DYNAMIC_PREFIX)
        }

    @property
    def stack_references(self) -> list[str]:
        return [resource.inputs["name"] for resource in self.of_type(STACK_REFERENCE)]


@dataclass
class ProgramRun:
    mocks: RecordingMocks
    namespace: dict[str, Any]

    @property
    def exports(self) -> dict[str, Any]:
        """The program's `pulumi.export`s (Outputs or plain values) by name."""
        stack = runtime_settings.get_root_resource()
        assert stack is not None
        return dict(stack.outputs)  # type: ignore[attr-defined]


def run_program(
    program: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    recorder: RecordingMocks | None = None,
) -> ProgramRun:
    """Run `program` (a `__main__.py`) as `pulumi up` would, against mocks, until it has settled."""
    # Pass `recorder` to look at what was registered even when the program fails.
    recorder = recorder or RecordingMocks(stack_outputs=stack_outputs or {})
    runtime_settings.ROOT.set(None)  # a fresh root stack, so exports of an earlier run do not leak
    # Pulumi's runtime needs a current event loop; an earlier `asyncio.run` in this process unset it.
    asyncio.set_event_loop(asyncio.new_event_loop())
    set_all_config(dict(config or {}))
    pulumi.runtime.set_mocks(recorder, project=project, stack=stack, preview=False)
    namespace: dict[str, Any] = {}

    # Inside `runtime.test`, every registration the program starts is awaited, as at the end of
    # `pulumi up`; an error the program raises on the way (in an apply, say) is raised here.
    @pulumi.runtime.test
    def deploy() -> None:
        namespace.update(runpy.run_path(str(program), run_name="__main__"))

    try:
        deploy()
    except Exception:
        _drop_abandoned_futures()
        raise
    return ProgramRun(recorder, namespace)


def resolve(value: Any) -> Any:
    """The value of an Output (or a plain value) once the mocked deployment has settled."""
    found: list[Any] = []

    @pulumi.runtime.test
    def settle() -> Any:
        return pulumi.Output.from_input(value).apply(found.append)

    try:
        settle()
    except Exception:
        _drop_abandoned_futures()
        raise
    return found[0]


def _drop_abandoned_futures() -> None:
    """Mark the failed deployment's futures as seen, now.

    Left alone, each logs "exception was never retrieved" when it is collected, a traceback per
    derived Output; and if that collection happens inside pytest's assertion rewriting, CPython
    3.11 fails with "AST constructor recursion depth mismatch"."""
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    for thing in gc.get_objects():
        if isinstance(thing, asyncio.Future) and thing.done() and not thing.cancelled():
            thing.exception()  # retrieving it is what marks it as seen
    gc.collect()
