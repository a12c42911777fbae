"""Property-based fuzzing of check over every input.

Check never raises and never touches the network; it reports each problem under the name of the
input that has it, all at once; and each reason is a sentence a user can act on. Two properties:

- an oracle: every input is drawn valid, invalid (in a way that is wrong whatever the other
  inputs are), unknown (preview) or absent, and the failures must name exactly the invalid ones;
- chaos: any JSON value for any input, plus inputs that do not exist, must still give a verdict.

Both run in process (many examples, with sockets and HTTP transports that record any use), and a
smaller run goes through the real provider host with the same guard loaded into it.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.deployment import Deployment
from support.emulator import messages_dataset, sample_dataset
from support.provider_host import UNKNOWN
from vertex_tuning import catalogue, spec, wire
from vertex_tuning.names import DEFAULT_LOCATION
from vertex_tuning.outputs import OUTPUTS
from vertex_tuning.provider import TuningJobProvider

SHIM = Path(__file__).parents[1] / "support" / "host_shim"
PROJECT_ENV = ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "VERTEX_AI_EMULATOR_HOST")
LOCATION_ENV = ("GOOGLE_CLOUD_LOCATION", "GOOGLE_CLOUD_REGION", "CLOUDSDK_COMPUTE_REGION")
LOCATIONS = ("us-central1", "europe-west4")  # the Gemini models tuned today take both
UNUSABLE = ("Traceback", " object at 0x", "NoneType", "ValidationError", "pydantic")
ACTIONABLE = (
    "must", "use ", "set ", "got", "missing", "unknown", "only", "remove", "is in", "reserved",
    "not an input", "at most", "cannot", "does not", "tune in", "expected", "such as", ": line ",
)  # fmt: skip

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
# Valid triggers: NaN and infinities are a check failure of their own (test_one_live_job.py).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)


def number_like_the_host(value: int) -> st.SearchStrategy[Any]:
    """The engine sends every number as a float; programs in process may pass ints."""
    return st.sampled_from([value, float(value)])


def adapter_spellings(rank: int) -> st.SearchStrategy[Any]:
    name = wire.AdapterSize.from_rank(rank).value
    short = name.removeprefix("ADAPTER_SIZE_")
    return st.sampled_from([rank, float(rank), str(rank), name, short, short.lower()])


BAD = {
    "project": st.sampled_from(
        ["A", "my-project.evil.com/x", "../p", "p%2Fq", "pro ject", "my-pr\u043eject", 5]
    ),
    "location": st.sampled_from(["US-CENTRAL1", "us-central1.evil.com/x", "", "../x", "us-central1\n", 4.0]),
    "base_model": st.sampled_from(["gemini-9-ultra", "", "publishers/google/models/nope", 2.5, ["gemini"]]),
    "pre_tuned_model_name": st.sampled_from(
        ["models/456", "projects/1/locations/x/models/", "gemini-3.1-flash-lite"]
    ),
    "pre_tuned_checkpoint_id": st.sampled_from(["latest", "-1", 1.5, "", True]),
    "training_dataset_uri": st.sampled_from(
        ["s3://b/train.jsonl", "gs://B/x", "gs://bucket/a b", "/tmp/x", "gs://", 7]
    ),
    "epoch_count": st.sampled_from([0, -3, 2.5, "3", True, float("nan"), float("inf")]),
    "adapter_size": st.sampled_from([3, 64, 0, "FIVE", "ADAPTER_SIZE_UNSPECIFIED", True, 4.5, "four!"]),
    "learning_rate_multiplier": st.sampled_from([0, -1.0, float("nan"), float("inf"), "1.0", False]),
    "tuned_model_display_name": st.sampled_from(["", "   ", "x" * 129, 7, ["name"]]),
    "description": st.sampled_from([5, ["a"], {"a": "b"}, True]),
    "labels": st.sampled_from(
        [{"Team": "a"}, {spec.ID_LABEL: "x"}, {"a": "B"}, "team=a", {"a": 1}, {"": "x"}]
    ),
    "kms_key_name": st.sampled_from(["key", "projects/p/keyRings/r/cryptoKeys/k", 3]),
    "service_account": st.sampled_from(["tuner", "Tuner@x.com", "a b@c.com", "@x.com", 1]),
    "export_last_checkpoint_only": st.sampled_from(["true", 1, 0.0, "yes"]),
    "wait_timeout_minutes": st.sampled_from([0, -1, "soon", float("nan"), True]),
    "api_version": st.sampled_from(["v2", "V1", "", 1]),
}
BAD["validation_dataset_uri"] = BAD["training_dataset_uri"]
BAD["staging_uri"] = st.sampled_from(["s3://bucket/data", "gs://", "gs://Bucket/x", 5])
# Local dataset files live in a folder made for the module (see `local_files`).
LOCAL: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def local_files(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Valid datasets in both formats, and paths that are wrong whatever the other inputs are."""
    folder = tmp_path_factory.mktemp("local-datasets")
    (folder / "gemini.jsonl").write_text(sample_dataset(3), encoding="utf-8")
    (folder / "messages.jsonl").write_text(messages_dataset(3), encoding="utf-8")
    (folder / "not-json.jsonl").write_text("this is not JSON\n", encoding="utf-8")
    LOCAL.update({name: str(folder / name) for name in ("gemini.jsonl", "messages.jsonl", "not-json.jsonl")})
    LOCAL["missing"], LOCAL["folder"] = str(folder / "missing.jsonl"), str(folder)


def bad_local_path() -> st.SearchStrategy[Any]:
    """Wrong whatever the model: unreadable, missing, a folder, a NUL byte, not a path at all."""
    named = st.sampled_from(["not-json.jsonl", "missing", "folder"]).map(LOCAL.get)  # looked up when drawn
    return named | st.sampled_from(["nul\x00.jsonl", 7])


BAD["training_dataset"] = BAD["validation_dataset"] = bad_local_path()


@st.composite
def inputs_with_verdict(draw: st.DrawFn) -> tuple[dict[str, Any], set[str]]:
    """Inputs, and the names check must report: exactly the ones drawn invalid (or missing)."""
    props: dict[str, Any] = {
        "pulumi_stack": draw(st.sampled_from(["dev", "prod"])),
        "pulumi_project": "fuzz",
        "resource_name": draw(st.sampled_from(["bot", "support-bot-2"])),
    }
    bad: set[str] = set()

    def put(name: str, valid: st.SearchStrategy[Any], *, required: bool = False) -> str:
        kinds = ["valid", "bad", "unknown"] + ([] if required else ["absent"])
        kind = draw(st.sampled_from(kinds))
        if kind == "valid":
            props[name] = draw(valid)
        elif kind == "bad":
            props[name] = draw(BAD[name])
            bad.add(name)
        elif kind == "unknown":
            props[name] = UNKNOWN
        return kind

    put("project", st.sampled_from(["fuzz-project", "my-project-123", "123456789012"]))
    location = draw(st.sampled_from(LOCATIONS))
    location_kind = put("location", st.just(location))
    if location_kind == "absent":
        location = DEFAULT_LOCATION  # what check fills in, so region rules apply to it
    location_judged = location_kind in ("valid", "absent")  # an unknown one is judged at create

    model: catalogue.BaseModel | None = None  # a model check judges the other inputs against
    dataset_model: catalogue.BaseModel | None = None  # local files are checked against any model
    if draw(st.booleans()):
        chosen = draw(st.sampled_from(sorted(catalogue.BASE_MODELS)))
        spelled = st.sampled_from([chosen, f"publishers/google/models/{chosen}"])
        if put("base_model", spelled, required=True) == "valid":
            dataset_model = catalogue.BASE_MODELS[chosen]
            if not dataset_model.tunable(catalogue.today()):
                bad.add("base_model")  # retired, or not confirmed as tunable: refused, nothing else judged
            else:
                model = dataset_model
                if location_judged and location not in model.regions:
                    bad.add("location")
        if draw(st.booleans()):  # a checkpoint without a pre-tuned model is a mistake in itself
            props["pre_tuned_checkpoint_id"] = "2"
            bad.add("pre_tuned_checkpoint_id")
    else:
        tuned = f"projects/123/locations/{location}/models/456"
        put("pre_tuned_model_name", st.sampled_from([tuned, f"{tuned}@2"]), required=True)
        put("pre_tuned_checkpoint_id", st.sampled_from(["1", "42", 3.0]))

    ranks = model.adapter_sizes if model else catalogue.ADAPTER_RANKS
    put("adapter_size", st.sampled_from(ranks).flatmap(adapter_spellings))
    put("epoch_count", st.integers(1, 100).flatmap(number_like_the_host))
    put("learning_rate_multiplier", st.floats(0.01, 10.0))
    if draw(st.booleans()):
        put("training_dataset_uri", st.just("gs://fuzz-bucket/data/train.jsonl"), required=True)
        put("validation_dataset_uri", st.just("gs://fuzz-bucket/data/validation.jsonl"))
    else:  # local files, checked against the model (or gemini-3.1-flash-lite when it is not known)
        legacy = (
            dataset_model is not None and dataset_model.dataset_format is catalogue.DatasetFormat.MESSAGES
        )
        valid_file = st.just("messages.jsonl" if legacy else "gemini.jsonl").map(LOCAL.__getitem__)
        put("training_dataset", valid_file, required=True)
        put("validation_dataset", valid_file)
        put(
            "staging_uri",
            st.sampled_from(["gs://stage-bucket/datasets", "gs://stage-bucket/a/b"]),
            required=True,
        )
    put("tuned_model_display_name", st.text("abc XYZ-_.é", min_size=1, max_size=128).filter(str.strip))
    put("description", text)
    label_key = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True).filter(lambda k: k != spec.ID_LABEL)
    put("labels", st.dictionaries(label_key, st.from_regex(r"[a-z0-9_-]{0,12}", fullmatch=True), max_size=4))
    kms = f"projects/kms-project/locations/{location}/keyRings/ring/cryptoKeys/key"
    if put("kms_key_name", st.just(kms)) == "valid" and model is not None and not model.cmek:
        bad.add("kms_key_name")  # a valid key for a model that cannot use one
    put("service_account", st.just("tuner@fuzz-project.iam.gserviceaccount.com"))
    put("export_last_checkpoint_only", st.booleans())
    put("wait_timeout_minutes", st.floats(0.01, 10_000.0))
    put("api_version", st.sampled_from(spec.API_VERSIONS))
    if draw(st.booleans()):
        props["triggers"] = draw(json_values)
    return props, bad


chaos_inputs = st.dictionaries(
    st.sampled_from(spec.ALL_INPUTS) | text.filter(lambda key: not key.startswith("__")),
    json_values | st.just(UNKNOWN),
    max_size=12,
)


def assert_actionable(failures: list[tuple[str, str]], props: dict[str, Any]) -> None:
    allowed = set(props) | set(spec.ALL_INPUTS)  # a rule across inputs may name one not given
    for name, reason in failures:
        assert name in allowed, f"failure names {name!r}, which is not an input given: {reason}"
        # Short, apart from quoting what was given (every bad label is named, for example).
        assert reason.strip() and len(reason) < 600 + 4 * len(repr(props.get(name))), (name, reason)
        assert not any(marker in reason for marker in UNUSABLE), (name, reason)
        assert any(hint in reason for hint in ACTIONABLE), f"{name}: {reason!r} does not say what to do"


# --- in process: many examples, the network guarded ------------------------------------------


class NetworkUse(Exception):
    pass


@pytest.fixture(scope="module")
def guarded() -> Iterator[list[str]]:
    """Sockets, HTTP transports and credential lookups record any use (check must need none)."""
    used: list[str] = []
    patch = pytest.MonkeyPatch()

    def refuse(what: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            used.append(what)
            raise NetworkUse(what)

        return call

    patch.setattr(socket.socket, "connect", refuse("socket.connect"))
    patch.setattr(httpx.HTTPTransport, "handle_request", refuse("httpx request"))
    patch.setattr(google.auth, "default", refuse("google.auth.default"))
    for name in (*PROJECT_ENV, *LOCATION_ENV):
        patch.delenv(name, raising=False)
    yield used
    patch.undo()


@pytest.fixture(scope="module")
def provider() -> TuningJobProvider:
    return TuningJobProvider()


def check_in_process(provider: TuningJobProvider, props: dict[str, Any]) -> list[tuple[str, str]]:
    result = provider.check({}, {**props, "__provider": "blob"})
    assert isinstance(result.inputs, dict)
    return [(failure.property, failure.reason) for failure in result.failures]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=inputs_with_verdict())
def test_check_names_exactly_the_invalid_inputs(guarded, provider, drawn):
    props, bad = drawn
    failures = check_in_process(provider, props)
    assert {name for name, _ in failures} == bad, json.dumps(failures, indent=1)
    assert_actionable(failures, props)
    assert guarded == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(props=chaos_inputs)
def test_check_gives_a_verdict_on_anything(guarded, provider, props):
    failures = check_in_process(provider, props)
    assert_actionable(failures, props)
    given = {name for name, value in props.items() if value is not None}  # None means "not set"
    # Outputs travel with the inputs (the resource declares them), so check passes over them.
    for name in given - set(spec.ALL_INPUTS) - set(OUTPUTS):
        assert any(failed == name and "not an input" in reason for failed, reason in failures), name
    assert guarded == []


# --- through the real provider host, its network guarded by the shim ---------------------------


@pytest.fixture(scope="module")
def guarded_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployment, Path]]:
    """A deployment with no emulator, no project and no network: check alone must answer."""
    record = tmp_path_factory.mktemp("fuzz-host") / "record.jsonl"
    env = {"PYTHONPATH": str(SHIM), "RELIABILITY_RECORD": str(record), "RELIABILITY_NO_NETWORK": "1"}
    env.update(dict.fromkeys((*PROJECT_ENV, *LOCATION_ENV), ""))
    deployment = Deployment(None, env=env)
    yield deployment, record
    deployment.kill()


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=inputs_with_verdict())
def test_check_through_the_host_names_exactly_the_invalid_inputs(guarded_host, drawn):
    deployment, record = guarded_host
    props, bad = drawn
    failures = deployment.check_failures(props)  # a HostCallError here would mean check raised
    assert {name for name, _ in failures} == bad, json.dumps(failures, indent=1)
    assert_actionable(failures, props)
    assert not record.exists(), record.read_text()


# --- local dataset files: whatever the path names, check reads safely or says why not ----------


def hostile_paths(tmp_path: Path) -> dict[str, str]:
    directory = tmp_path / "a-directory"
    directory.mkdir()
    endless = tmp_path / "endless.jsonl"
    endless.symlink_to("/dev/zero")  # a device, not a file: reading it never ends
    return {
        "nul byte": "train\x00.jsonl",
        "directory": str(directory),
        "endless device": str(endless),
        "missing": str(tmp_path / "missing.jsonl"),
        "not a string": 5,
    }


def test_check_survives_hostile_local_dataset_paths(guarded, provider, tmp_path):
    for case, path in hostile_paths(tmp_path).items():
        props = {"project": "fuzz-project", "base_model": "gemini-3.1-flash-lite", "pulumi_stack": "dev"}
        props |= {"pulumi_project": "fuzz", "resource_name": "bot", "staging_uri": "gs://stage-bucket/data"}
        failures = check_in_process(provider, {**props, "training_dataset": path})
        assert [name for name, _ in failures] == ["training_dataset"], (case, failures)
        assert_actionable(failures, props)
    assert guarded == []
