"""Answers from a newer service (design decision 12): enum values, fields and shapes this code does
not know pass through as text, optional extras never fail a call, and an answer that cannot be
used is a VertexTuningError naming the call, never a pydantic traceback. Every call, every enum."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_fakes import JOB_NAME, LOCATION, PROJECT, ClientFactory, job_json
from typer.testing import CliRunner

from support.recorder import Recorder
from vertex_tuning import wire
from vertex_tuning.cli import app, register_commands
from vertex_tuning.client import VertexClient
from vertex_tuning.errors import UnusableAnswerError, VertexTuningError
from vertex_tuning.names import EndpointName, LocationName, TuningJobName
from vertex_tuning.outputs import job_outputs

ENDPOINT = f"projects/{PROJECT}/locations/{LOCATION}/endpoints/77"
EXPERIMENT = f"projects/{PROJECT}/locations/{LOCATION}/metadataStores/default/contexts/exp-1"
TENSORBOARD = f"projects/{PROJECT}/locations/{LOCATION}/tensorboards/9"


def future_job(**fields: Any) -> dict[str, Any]:
    """A job as a service from 2028 might send it: new states, fields, shapes and formats."""
    return job_json(
        state="JOB_STATE_HIBERNATING",
        tuningJobState="TUNING_JOB_STATE_DREAMING",
        tuningJobMetadata={"completedEpochCount": "2", "completedStepCount": "40"},
        baseModel="gemini-4-flash",
        createTime="2026-12-01T10:00:00.123456789Z",  # nanoseconds
        updateTime="sometime on Tuesday",  # not RFC 3339: an optional extra, left out
        labels={"team": "ml", "replicas": 3, "on": True},
        supervisedTuningSpec={
            "trainingDatasetUri": "gs://b/t.jsonl",
            "hyperParameters": {"adapterSize": "ADAPTER_SIZE_SIXTY_FOUR", "epochCount": "3"},
            "curriculum": {"stages": 2},
        },
        tuningDataStats={"supervisedTuningDataStats": {"tuningDatasetExampleCount": "lots"}},
        quantumSpec={"qubits": 5},
        **fields,
    )


FUTURE_ANSWER: dict[str, Any] = {
    "candidates": [
        {
            "content": {"role": "model", "parts": [{"text": "hello", "thoughtSignature": "c2ln"}]},
            "finishReason": "SPII",
            "safetyRatings": [
                {"category": "HARM_CATEGORY_TELEPATHY", "probability": "CERTAIN", "severity": "SEVERE+"}
            ],
            "groundingMetadata": {"sources": [{"uri": "https://example.com"}]},
        }
    ],
    "promptFeedback": {"blockReason": "VIBES"},
    "usageMetadata": {
        "promptTokenCount": 3,
        "promptTokensDetails": [{"modality": "SMELL", "tokenCount": 3}],
        "trafficType": "ON_DEMAND_QUANTUM",
    },
    "createTime": "not a time",
    "modelVersion": "gemini-4-flash-tuned",
}


def test_create_keeps_every_value_it_does_not_know_as_text(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(httpx.Response(200, json=future_job()))
    job = make_client().create_tuning_job(
        LocationName(PROJECT, LOCATION), wire.TuningJob(base_model="gemini-3.5-flash")
    )
    assert job.job_state.value == "JOB_STATE_HIBERNATING" and not job.job_state.is_known
    assert not job.job_state.is_terminal
    assert job.detailed_state is not None and job.detailed_state.value == "TUNING_JOB_STATE_DREAMING"
    assert job.tuning_job_metadata == wire.TuningJobMetadata(completed_epoch_count=2, completed_step_count=40)
    assert job.create_time is not None and job.update_time is None
    assert job.labels == {"team": "ml", "replicas": "3", "on": "true"}
    hyper = job.supervised_tuning_spec.hyper_parameters  # type: ignore[union-attr]
    assert hyper is not None and hyper.adapter_size == "ADAPTER_SIZE_SIXTY_FOUR"
    assert job.tuning_data_stats is None  # an unreadable optional extra is left out
    # Unknown fields are kept, and travel back out unchanged.
    body = job.to_json_dict()
    assert body["quantumSpec"] == {"qubits": 5} and body["state"] == "JOB_STATE_HIBERNATING"
    assert body["supervisedTuningSpec"]["curriculum"] == {"stages": 2}


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.get_tuning_job(TuningJobName.parse(JOB_NAME)),
        lambda client: next(iter(client.list_tuning_jobs(LocationName(PROJECT, LOCATION)))),
    ],
    ids=["get", "list"],
)
def test_get_and_list_read_a_job_from_the_future(
    make_client: ClientFactory, recorder: Recorder, call: Callable[[VertexClient], wire.TuningJob]
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        listing = request.url.path.endswith("/tuningJobs")
        return httpx.Response(200, json={"tuningJobs": [future_job()]} if listing else future_job())

    recorder.script(answer)
    job = call(make_client())
    assert job.job_state.value == "JOB_STATE_HIBERNATING"
    outputs = job_outputs(job)  # the provider's mapping of the job to outputs
    assert outputs["state"] == "JOB_STATE_HIBERNATING"
    assert outputs["tuning_job_state"] == "TUNING_JOB_STATE_DREAMING"
    assert outputs["tuning_job_metadata"] == {"completed_epoch_count": 2, "completed_step_count": 40}


def test_cancel_accepts_any_object_as_its_answer(make_client: ClientFactory, recorder: Recorder) -> None:
    recorder.script(httpx.Response(200, json={"operation": "projects/p/operations/1", "done": False}))
    make_client().cancel_tuning_job(TuningJobName.parse(JOB_NAME))
    assert recorder.requests[-1].url.path.endswith(":cancel")


def test_generate_content_keeps_new_finish_reasons_and_ratings(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(httpx.Response(200, json=FUTURE_ANSWER))
    answer = make_client().generate_content(EndpointName.parse(ENDPOINT), wire.GenerateContentRequest())
    candidate = answer.candidates[0]
    assert answer.text == "hello" and candidate.finish_reason == "SPII"
    assert wire.FinishReason(candidate.finish_reason).is_known  # SPII is declared now
    rating = candidate.safety_ratings[0]  # type: ignore[index]
    assert (rating.category, rating.probability, rating.severity) == (
        "HARM_CATEGORY_TELEPATHY",
        "CERTAIN",
        "SEVERE+",
    )
    assert answer.prompt_feedback is not None and answer.prompt_feedback.block_reason == "VIBES"
    usage = answer.usage_metadata
    assert usage is not None and usage.traffic_type == "ON_DEMAND_QUANTUM"
    assert usage.prompt_tokens_details is not None and usage.prompt_tokens_details[0].modality == "SMELL"
    grounding = answer.to_json_dict()["candidates"][0]["groundingMetadata"]
    assert answer.create_time is None and grounding == {"sources": [{"uri": "https://example.com"}]}


# Each enum the client parses, where it sits in an answer, and a value from the future.
ENUM_FIELDS: list[tuple[type[wire.ProtoEnum], Callable[[str], dict[str, Any]], Callable[[Any], Any]]] = [
    (wire.JobState, lambda v: job_json(state=v), lambda a: a.state),
    (wire.TuningJobState, lambda v: job_json(tuningJobState=v), lambda a: a.tuning_job_state),
    (
        wire.AdapterSize,
        lambda v: job_json(supervisedTuningSpec={"hyperParameters": {"adapterSize": v}}),
        lambda a: a.supervised_tuning_spec.hyper_parameters.adapter_size,
    ),
    (
        wire.FinishReason,
        lambda v: {"candidates": [{"finishReason": v}]},
        lambda a: a.candidates[0].finish_reason,
    ),
    (
        wire.HarmCategory,
        lambda v: {"candidates": [{"safetyRatings": [{"category": v}]}]},
        lambda a: a.candidates[0].safety_ratings[0].category,
    ),
    (
        wire.HarmProbability,
        lambda v: {"candidates": [{"safetyRatings": [{"probability": v}]}]},
        lambda a: a.candidates[0].safety_ratings[0].probability,
    ),
    (
        wire.HarmSeverity,
        lambda v: {"candidates": [{"safetyRatings": [{"severity": v}]}]},
        lambda a: a.candidates[0].safety_ratings[0].severity,
    ),
    (
        wire.BlockReason,
        lambda v: {"promptFeedback": {"blockReason": v}},
        lambda a: a.prompt_feedback.block_reason,
    ),
    (
        wire.Modality,
        lambda v: {"usageMetadata": {"promptTokensDetails": [{"modality": v}]}},
        lambda a: a.usage_metadata.prompt_tokens_details[0].modality,
    ),
    (
        wire.TrafficType,
        lambda v: {"usageMetadata": {"trafficType": v}},
        lambda a: a.usage_metadata.traffic_type,
    ),
]


@pytest.mark.parametrize(("enum", "answer", "read"), ENUM_FIELDS, ids=[e[0].__name__ for e in ENUM_FIELDS])
@pytest.mark.parametrize("value", ["FROM_THE_FUTURE_42", 9999])
def test_every_enum_keeps_a_value_it_does_not_know(
    make_client: ClientFactory,
    recorder: Recorder,
    enum: type[wire.ProtoEnum],
    answer: Callable[[Any], dict[str, Any]],
    read: Callable[[Any], Any],
    value: str | int,
) -> None:
    recorder.script(httpx.Response(200, json=answer(value)))
    client = make_client()
    if enum in (wire.JobState, wire.TuningJobState, wire.AdapterSize):
        parsed = read(client.get_tuning_job(TuningJobName.parse(JOB_NAME)))
    else:
        parsed = read(client.generate_content(EndpointName.parse(ENDPOINT), wire.GenerateContentRequest()))
    assert isinstance(parsed, enum) and parsed.value == str(value) and not parsed.is_known


def test_known_enum_numbers_still_become_names(make_client: ClientFactory, recorder: Recorder) -> None:
    recorder.script(httpx.Response(200, json=job_json(state=4)))  # $alt=json;enum-encoding=int
    assert make_client().get_tuning_job(TuningJobName.parse(JOB_NAME)).job_state is wire.JobState.SUCCEEDED


def test_what_users_type_stays_strict() -> None:
    with pytest.raises(ValueError):
        wire.JobState("JOB_STATE_HIBERNATING")


@pytest.mark.parametrize(
    ("answer", "call", "named"),
    [
        (
            job_json(name=5, tunedModel="x"),
            lambda c: c.get_tuning_job(TuningJobName.parse(JOB_NAME)),
            f"GET {JOB_NAME}",
        ),
        (
            {"tuningJobs": [{"name": ["x"]}]},
            lambda c: list(c.list_tuning_jobs(LocationName(PROJECT, LOCATION))),
            f"GET projects/{PROJECT}/locations/{LOCATION}/tuningJobs",
        ),
        (
            {"name": {"a": 1}},
            lambda c: c.create_tuning_job(
                LocationName(PROJECT, LOCATION), wire.TuningJob(base_model="gemini-3.5-flash")
            ),
            f"POST projects/{PROJECT}/locations/{LOCATION}/tuningJobs",
        ),
        (
            {"candidates": "none"},
            lambda c: c.generate_content(EndpointName.parse(ENDPOINT), wire.GenerateContentRequest()),
            f"POST {ENDPOINT}:generateContent",
        ),
    ],
    ids=["get", "list", "create", "generateContent"],
)
def test_an_unusable_answer_is_an_error_naming_the_call(
    make_client: ClientFactory, recorder: Recorder, answer: dict[str, Any], call: Any, named: str
) -> None:
    recorder.script(httpx.Response(200, json=answer))
    with pytest.raises(UnusableAnswerError) as caught:
        call(make_client())
    assert isinstance(caught.value, VertexTuningError)
    assert str(caught.value).startswith(named) and "cannot use" in str(caught.value)
    assert "pydantic" not in str(caught.value) and "https://errors.pydantic.dev" not in str(caught.value)


def _metrics_answers(points: list[Any], context: Any = None) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("tuningJobs/123"):
            return httpx.Response(200, json=job_json(experiment=EXPERIMENT))
        if path.endswith("contexts/exp-1"):
            body = (
                context
                if context is not None
                else {"metadata": {"backing_tensorboard_resource": TENSORBOARD}}
            )
            return httpx.Response(200, json=body)
        if path.endswith("/runs"):
            return httpx.Response(
                200, json={"tensorboardRuns": [{"name": f"{TENSORBOARD}/experiments/exp-1/runs/r"}]}
            )
        if path.endswith("/timeSeries"):
            series = f"{TENSORBOARD}/experiments/exp-1/runs/r/timeSeries/s"
            return httpx.Response(
                200, json={"tensorboardTimeSeries": [{"name": series, "displayName": "/train_total_loss"}]}
            )
        return httpx.Response(200, json={"timeSeriesData": {"values": points, "valueType": "SCALAR_V2"}})

    return answer


def test_metrics_skip_points_they_cannot_read(make_client: ClientFactory, recorder: Recorder) -> None:
    points = [
        {"step": "1", "scalar": {"value": 2.0}},
        {"step": "two", "scalar": {"value": 1.5}},
        {"step": "3", "scalar": {"value": "low"}},
        {"step": "4", "wallTime": "whenever", "scalar": {"value": 1.0}, "histogram": {}},
    ]
    recorder.script(_metrics_answers(points))
    metrics = make_client().read_metrics(TuningJobName.parse(JOB_NAME))
    assert [(point.step, point.value) for point in metrics["/train_total_loss"]] == [(1, 2.0), (4, 1.0)]


def test_an_unusable_metrics_answer_is_an_error_naming_the_call(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(_metrics_answers([], context={"metadata": "not a map"}))
    with pytest.raises(UnusableAnswerError, match=f"^GET {EXPERIMENT}"):
        make_client().read_metrics(TuningJobName.parse(JOB_NAME))


# --- the CLI's list and get ---------------------------------------------------------------------

register_commands()


def _cli_with(
    answer: Callable[[httpx.Request], httpx.Response], monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    from vertex_tuning.cli import common

    transport = httpx.MockTransport(answer)
    monkeypatch.setattr(common, "api_client", lambda settings: VertexClient(settings, transport=transport))
    return CliRunner()


CLI_ENV = {
    "GOOGLE_CLOUD_PROJECT": PROJECT,
    "VERTEX_AI_EMULATOR_HOST": "127.0.0.1:9",
    "GOOGLE_CLOUD_LOCATION": LOCATION,
}


@pytest.mark.parametrize(
    "args",
    [
        ["jobs", "list"],
        ["jobs", "list", "--json"],
        ["jobs", "get", JOB_NAME],
        ["jobs", "get", JOB_NAME, "--json"],
    ],
    ids=["list", "list-json", "get", "get-json"],
)
def test_the_cli_shows_a_job_from_the_future(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tuningJobs"):
            return httpx.Response(200, json={"tuningJobs": [future_job()]})
        return httpx.Response(200, json=future_job())

    result = _cli_with(answer, monkeypatch).invoke(app, args, env=CLI_ENV)
    assert result.exit_code == 0, result.output
    assert "HIBERNATING" in result.stdout
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["jobs", "list"], ["jobs", "get", JOB_NAME]], ids=["list", "get"])
def test_the_cli_reports_an_unusable_answer_without_a_traceback(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tuningJobs"):
            return httpx.Response(200, json={"tuningJobs": [{"name": 5}]})
        return httpx.Response(200, json={"name": 5})

    result = _cli_with(answer, monkeypatch).invoke(app, args, env=CLI_ENV)
    assert result.exit_code != 0 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert "cannot use" in result.output and "Traceback" not in result.output


def test_job_outputs_are_plain_values_for_unknown_members() -> None:
    job = wire.TuningJob.model_validate(copy.deepcopy(future_job()))
    outputs = job_outputs(job)
    assert type(outputs["state"]) is str and type(outputs["tuning_job_state"]) is str
