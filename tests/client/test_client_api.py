"""What goes on the wire for each call (method, host, path, query, body, timeouts), how list filters
are built and re-checked, and how answers that are not usable JSON are reported."""

from __future__ import annotations

import httpx
import pytest
from client_fakes import JOB_NAME, LOCATION, PROJECT, ClientFactory, job_json

from support.recorder import Recorder
from vertex_tuning import api
from vertex_tuning.api import build_filter
from vertex_tuning.errors import InvalidNameError, VertexTuningError
from vertex_tuning.names import EndpointName, LocationName, TuningJobName
from vertex_tuning.settings import Transport
from vertex_tuning.wire import GenerateContentRequest, JobState, TuningJob

HOST = "us-central1-aiplatform.googleapis.com"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
ENDPOINT = f"{PARENT}/endpoints/77"


def test_each_call_uses_the_documented_method_and_path(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(httpx.Response(200, json=job_json()))
    client = make_client()

    client.create_tuning_job(LocationName(PROJECT, LOCATION), TuningJob(base_model="gemini-3.1-flash-lite"))
    client.get_tuning_job(TuningJobName.parse(JOB_NAME))
    list(
        client.list_tuning_jobs(
            LocationName(PROJECT, LOCATION), filter='state="JOB_STATE_RUNNING"', page_size=50
        )
    )
    client.cancel_tuning_job(TuningJobName.parse(JOB_NAME))
    client.generate_content(EndpointName.parse(ENDPOINT), GenerateContentRequest())

    assert [(r.method, r.url.host, r.url.path) for r in recorder.requests] == [
        ("POST", HOST, f"/v1/{PARENT}/tuningJobs"),
        ("GET", HOST, f"/v1/{JOB_NAME}"),
        ("GET", HOST, f"/v1/{PARENT}/tuningJobs"),
        ("POST", HOST, f"/v1/{JOB_NAME}:cancel"),
        ("POST", HOST, f"/v1/{ENDPOINT}:generateContent"),
    ]
    create, _, listing, cancel, _ = recorder.requests
    assert create.content == b'{"baseModel":"gemini-3.1-flash-lite"}'
    assert dict(listing.url.params) == {"filter": 'state="JOB_STATE_RUNNING"', "pageSize": "50"}
    assert cancel.content == b"{}"


def test_every_request_carries_timeouts(make_client: ClientFactory, recorder: Recorder) -> None:
    recorder.script(httpx.Response(200, json=job_json()))

    make_client(transport=Transport(request_timeout=20.0)).get_tuning_job(TuningJobName.parse(JOB_NAME))

    timeout = recorder.requests[0].extensions["timeout"]
    assert timeout == {"connect": 10.0, "read": 20.0, "write": 20.0, "pool": 20.0}


def test_the_emulator_is_plain_http_with_the_same_paths(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(httpx.Response(200, json=job_json()))

    make_client(transport=Transport(emulator_host="localhost:8765"), api_version="v1beta1").get_tuning_job(
        TuningJobName.parse(JOB_NAME)
    )

    assert str(recorder.requests[0].url) == f"http://localhost:8765/v1beta1/{JOB_NAME}"


def test_the_host_follows_the_location_in_the_name_not_the_default(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(httpx.Response(200, json=job_json()))

    make_client(location="us-central1").get_tuning_job(
        TuningJobName.parse(f"projects/{PROJECT}/locations/europe-west4/tuningJobs/5")
    )

    assert recorder.requests[0].url.host == "europe-west4-aiplatform.googleapis.com"


def test_list_pages_until_there_is_no_token(make_client: ClientFactory, recorder: Recorder) -> None:
    recorder.script(
        httpx.Response(200, json={"tuningJobs": [job_json("1"), job_json("2")], "nextPageToken": "p2"}),
        httpx.Response(200, json={"tuningJobs": [job_json("3")], "nextPageToken": "p3"}),
        httpx.Response(200, json={}),
    )

    jobs = list(make_client().list_tuning_jobs(LocationName(PROJECT, LOCATION), page_size=2))

    assert [job.name.rsplit("/", 1)[1] for job in jobs if job.name] == ["1", "2", "3"]
    assert [r.url.params.get("pageToken") for r in recorder.requests] == [None, "p2", "p3"]


def test_filters_combine_state_labels_and_a_caller_filter() -> None:
    assert build_filter() is None
    assert (
        build_filter(
            state=JobState.RUNNING, labels={"team": "ml", "run-id": "a_1"}, extra='baseModel="x" OR y'
        )
        == '(baseModel="x" OR y) AND state="JOB_STATE_RUNNING" AND labels.team="ml" AND labels.run-id="a_1"'
    )


@pytest.mark.parametrize(
    "labels",
    [{"team": 'ml" OR labels.x="y'}, {"Team": "ml"}, {"team ": "ml"}, {"team": "a" * 64}, {"1team": "x"}],
)
def test_labels_that_could_change_a_filters_meaning_are_rejected(labels: dict[str, str]) -> None:
    with pytest.raises(InvalidNameError, match="label"):
        build_filter(labels=labels)


def test_list_function_rechecks_state_and_labels_itself(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    """The service may ignore a label filter: what it returns is checked again here."""
    recorder.script(
        httpx.Response(
            200,
            json={
                "tuningJobs": [
                    job_json("1", "JOB_STATE_RUNNING", labels={"team": "ml"}),
                    job_json("2", "JOB_STATE_RUNNING", labels={"team": "web"}),
                    job_json("3", "JOB_STATE_SUCCEEDED", labels={"team": "ml"}),
                    job_json("4", "JOB_STATE_RUNNING"),
                ]
            },
        )
    )

    jobs = api.list_tuning_jobs(labels={"team": "ml"}, state="running", client=make_client())

    assert [job.name for job in jobs] == [job_json("1")["name"]]
    assert recorder.requests[0].url.params["filter"] == 'state="JOB_STATE_RUNNING" AND labels.team="ml"'


def test_an_unknown_state_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown job state 'DONE'; use one of .*SUCCEEDED"):
        api.list_tuning_jobs("tuning-proj", "us-central1", state="DONE")


def test_generate_content_builds_the_request_from_a_prompt(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    answer = {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP"}]
    }
    recorder.script(httpx.Response(200, json=answer))

    response = api.generate_content(
        ENDPOINT,
        "Hello",
        system_instruction="Be brief.",
        top_k=5,
        stop_sequences=["END"],
        client=make_client(),
    )

    assert response.text == "Hi"
    sent = recorder.requests[0].content
    assert sent == (
        b'{"contents":[{"role":"user","parts":[{"text":"Hello"}]}],'
        b'"systemInstruction":{"parts":[{"text":"Be brief."}]},'
        b'"generationConfig":{"topK":5.0,"stopSequences":["END"]}}'
    )


def test_read_metrics_walks_context_runs_series_and_data(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    tensorboard = f"{PARENT}/tensorboards/1"
    run = f"{tensorboard}/experiments/exp-1/runs/tuning"
    answers = {
        f"/v1/{PARENT}/metadataStores/default/contexts/exp-1": {
            "metadata": {"backing_tensorboard_resource": tensorboard}
        },
        f"/v1/{tensorboard}/experiments/exp-1/runs": {"tensorboardRuns": [{"name": run}]},
        f"/v1/{run}/timeSeries": {
            "tensorboardTimeSeries": [{"name": f"{run}/timeSeries/loss", "displayName": "/loss"}]
        },
        f"/v1/{run}/timeSeries/loss:read": {
            "timeSeriesData": {
                "values": [
                    {"step": "2", "wallTime": "2026-01-01T00:00:02Z", "scalar": {"value": 0.5}},
                    {"step": "1", "wallTime": "2026-01-01T00:00:01Z", "scalar": {"value": 0.9}},
                ]
            }
        },
    }
    recorder.script(lambda request: httpx.Response(200, json=answers[request.url.path]))
    job = TuningJob.model_validate(job_json(experiment=f"{PARENT}/metadataStores/default/contexts/exp-1"))

    metrics = make_client().read_metrics(job)

    assert [(point.step, point.value) for point in metrics["/loss"]] == [(1, 0.9), (2, 0.5)]
    assert [r.url.path for r in recorder.requests] == list(answers)


def test_a_context_without_a_tensorboard_has_no_metrics(
    make_client: ClientFactory, recorder: Recorder
) -> None:
    recorder.script(httpx.Response(200, json={"metadata": {}}))
    job = TuningJob.model_validate(job_json(experiment=f"{PARENT}/metadataStores/default/contexts/exp-1"))

    assert make_client().read_metrics(job) == {}


@pytest.mark.parametrize("body", [b"[1, 2]", b"<html>ok</html>", b'"text"'])
def test_a_success_that_is_not_a_json_object_is_reported(
    make_client: ClientFactory, recorder: Recorder, body: bytes
) -> None:
    recorder.script(httpx.Response(200, content=body))

    with pytest.raises(
        VertexTuningError, match=f"GET {JOB_NAME} answered 200 with a body that is not a JSON object"
    ):
        make_client().get_tuning_job(TuningJobName.parse(JOB_NAME))
