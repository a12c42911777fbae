"""The client against the real emulator over loopback HTTP: every call, pagination, a tuned model's
answer, metrics, faults, and the request bodies checked against Google's discovery document."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

import vertex_tuning
from support.clock import VirtualClock
from support.credentials import FakeCredentials
from support.discovery import assert_matches_schema
from support.emulator import PROJECT, InProcessEmulator, free_port, sample_dataset, sample_examples
from vertex_tuning.client import RetryPolicy, VertexClient
from vertex_tuning.errors import AmbiguousCreateError, InvalidArgumentError, NotFoundError, TransportError
from vertex_tuning.names import EndpointName, LocationName, TuningJobName
from vertex_tuning.settings import Settings, Transport
from vertex_tuning.wire import (
    GenerateContentRequest,
    JobState,
    SupervisedHyperParameters,
    SupervisedTuningSpec,
    TuningJob,
)

LOCATION = "us-central1"
SUCCEEDED = JobState.SUCCEEDED.value


class RecordingTransport(httpx.HTTPTransport):
    """A real HTTP transport that also keeps each request it sends, for schema checks."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return super().handle_request(request)

    def bodies(self, path_suffix: str) -> list[dict[str, object]]:
        return [json.loads(r.content) for r in self.sent if r.url.path.endswith(path_suffix) and r.content]


@pytest.fixture
def wire() -> RecordingTransport:
    return RecordingTransport()


def make_client(
    emulator_host: str, transport: httpx.BaseTransport, clock: VirtualClock, api_version: str = "v1"
) -> VertexClient:
    return VertexClient(
        Settings(
            project=PROJECT,
            location=LOCATION,
            api_version=api_version,
            transport=Transport(emulator_host=emulator_host),
        ),
        transport=transport,
        credentials=FakeCredentials(),
        retry=RetryPolicy(max_attempts=4, budget=60.0),
        sleep=clock.sleep,  # count the waits, do not sleep them
        clock=clock,
    )


@pytest.fixture
def client(
    emulator: InProcessEmulator, wire: RecordingTransport, clock: VirtualClock
) -> Iterator[VertexClient]:
    with make_client(emulator.host_port, wire, clock) as created:
        yield created


def tuning_job(
    emulator: InProcessEmulator, uri: str = "gs://acme/train.jsonl", **fields: object
) -> TuningJob:
    emulator.write_object(uri, sample_dataset(12, system="Answer briefly."))
    spec = SupervisedTuningSpec(
        training_dataset_uri=uri,
        hyper_parameters=SupervisedHyperParameters(epoch_count=2, adapter_size="ADAPTER_SIZE_FOUR"),
    )
    return TuningJob(base_model="gemini-3.1-flash-lite", supervised_tuning_spec=spec, **fields)  # type: ignore[arg-type]


def wait_succeeded(emulator: InProcessEmulator, client: VertexClient, name: str) -> TuningJob:
    emulator.wait_for_state(name, SUCCEEDED)
    return client.get_tuning_job(TuningJobName.parse(name))


def test_create_get_list_and_cancel(
    emulator: InProcessEmulator, client: VertexClient, wire: RecordingTransport
) -> None:
    created = client.create_tuning_job(
        LocationName(PROJECT, LOCATION),
        tuning_job(emulator, labels={"team": "ml"}, tuned_model_display_name="support-bot"),
    )

    assert created.job_state is JobState.PENDING
    assert created.name is not None
    name = TuningJobName.parse(created.name)  # the service answers with the project number
    assert name.project.isdigit() and name.location == LOCATION
    fetched = client.get_tuning_job(TuningJobName.parse(created.name))
    assert (fetched.name, fetched.labels, fetched.tuned_model_display_name) == (
        created.name,
        {"team": "ml"},
        "support-bot",
    )
    assert [job.name for job in client.list_tuning_jobs(LocationName(PROJECT, LOCATION))] == [created.name]

    client.cancel_tuning_job(TuningJobName.parse(created.name))

    ended = emulator.wait_for_state(created.name, JobState.CANCELLED.value)
    assert ended["state"] == JobState.CANCELLED.value
    (create_body,) = wire.bodies("/tuningJobs")
    assert_matches_schema(create_body, "TuningJob")
    assert create_body["supervisedTuningSpec"]["hyperParameters"] == {
        "epochCount": "2",
        "adapterSize": "ADAPTER_SIZE_FOUR",
    }  # type: ignore[index]
    assert_matches_schema(wire.bodies(":cancel")[0], "CancelTuningJobRequest")
    assert all("Authorization" not in request.headers for request in wire.sent)


def test_list_follows_page_tokens(
    emulator: InProcessEmulator, client: VertexClient, wire: RecordingTransport
) -> None:
    names = {
        client.create_tuning_job(
            LocationName(PROJECT, LOCATION), tuning_job(emulator, f"gs://acme/train-{i}.jsonl")
        ).name
        for i in range(5)
    }

    listed = [job.name for job in client.list_tuning_jobs(LocationName(PROJECT, LOCATION), page_size=2)]

    assert sorted(listed) == sorted(names)
    pages = [request for request in wire.sent if request.method == "GET"]
    assert len(pages) == 3
    assert "pageToken" not in pages[0].url.params
    assert all(page.url.params["pageSize"] == "2" and page.url.params["pageToken"] for page in pages[1:])


def test_list_function_filters_by_state_and_labels(emulator: InProcessEmulator, client: VertexClient) -> None:
    ours = client.create_tuning_job(
        LocationName(PROJECT, LOCATION), tuning_job(emulator, labels={"team": "ml", "run": "a"})
    )
    client.create_tuning_job(
        LocationName(PROJECT, LOCATION), tuning_job(emulator, "gs://acme/other.jsonl", labels={"team": "web"})
    )
    assert ours.name is not None
    wait_succeeded(emulator, client, ours.name)

    found = vertex_tuning.list_tuning_jobs(
        PROJECT, LOCATION, labels={"team": "ml"}, state="SUCCEEDED", client=client
    )
    none_running = vertex_tuning.list_tuning_jobs(
        PROJECT, LOCATION, labels={"team": "ml"}, state="RUNNING", client=client
    )

    assert [job.name for job in found] == [ours.name]
    assert none_running == []


def test_generate_content_on_the_tuned_endpoint(
    emulator: InProcessEmulator, client: VertexClient, wire: RecordingTransport
) -> None:
    created = client.create_tuning_job(LocationName(PROJECT, LOCATION), tuning_job(emulator))
    assert created.name is not None
    job = wait_succeeded(emulator, client, created.name)
    assert job.tuned_model is not None and job.tuned_model.endpoint is not None
    prompt = sample_examples(1)[0]["contents"][0]["parts"][0]["text"]  # type: ignore[index]

    answer = vertex_tuning.generate_content(
        job.tuned_model.endpoint,
        prompt,
        system_instruction="Answer briefly.",
        temperature=0.0,
        max_output_tokens=64,
        client=client,
    )

    assert answer.text
    assert answer.candidates[0].content is not None and answer.candidates[0].content.role == "model"
    (body,) = wire.bodies(":generateContent")
    assert_matches_schema(body, "GenerateContentRequest")
    assert body["generationConfig"] == {"temperature": 0.0, "maxOutputTokens": 64}
    direct = client.generate_content(
        EndpointName.parse(job.tuned_model.endpoint),
        GenerateContentRequest.model_validate({"contents": body["contents"]}),
    )
    assert direct.text


def test_read_metrics_follows_the_experiment_to_its_time_series(
    emulator: InProcessEmulator, client: VertexClient
) -> None:
    created = client.create_tuning_job(LocationName(PROJECT, LOCATION), tuning_job(emulator))
    assert created.name is not None
    assert client.read_metrics(created) == {}  # a fresh job has no experiment yet
    job = wait_succeeded(emulator, client, created.name)

    metrics = client.read_metrics(job)

    assert {"/train_total_loss", "/train_fraction_of_correct_next_step_preds"} <= set(metrics)
    loss = metrics["/train_total_loss"]
    assert len(loss) > 1
    assert [point.step for point in loss] == sorted(point.step for point in loss)
    assert all(point.wall_time is not None for point in loss)
    assert vertex_tuning.read_metrics(created.name, client=client) == metrics


def test_service_errors_arrive_typed(emulator: InProcessEmulator, client: VertexClient) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.get_tuning_job(TuningJobName.parse(f"projects/{PROJECT}/locations/{LOCATION}/tuningJobs/4242"))
    assert missing.value.http_status == 404
    assert "4242" in str(missing.value)

    with pytest.raises(InvalidArgumentError):
        client.create_tuning_job(
            LocationName(PROJECT, LOCATION), TuningJob(base_model="gemini-3.1-flash-lite")
        )  # no dataset
    assert emulator.admin.stats()["jobs"] == 0


def test_error_bursts_are_ridden_out_honouring_retry_after(
    emulator: InProcessEmulator, client: VertexClient, clock: VirtualClock
) -> None:
    created = client.create_tuning_job(LocationName(PROJECT, LOCATION), tuning_job(emulator))
    assert created.name is not None
    emulator.admin.fail_requests("tuningJobs.get", 503, times=2, retry_after=3)
    emulator.admin.fail_requests("tuningJobs.create", 429, times=1, retry_after=5)

    assert client.get_tuning_job(TuningJobName.parse(created.name)).name == created.name
    client.create_tuning_job(LocationName(PROJECT, LOCATION), tuning_job(emulator, "gs://acme/second.jsonl"))

    assert clock.sleeps == [3.0, 3.0, 5.0]
    assert emulator.admin.request_count("tuningJobs.get") == 3
    assert emulator.admin.stats()["jobs"] == 2  # the 429 made nothing, the retry made one


def test_a_create_whose_answer_is_lost_is_reported_ambiguous_not_resent(
    emulator: InProcessEmulator, client: VertexClient
) -> None:
    emulator.admin.drop_next_create()

    with pytest.raises(AmbiguousCreateError):
        client.create_tuning_job(LocationName(PROJECT, LOCATION), tuning_job(emulator))

    assert emulator.admin.request_count("tuningJobs.create") == 1
    assert emulator.admin.stats()["jobs"] == 1  # committed once, never twice


def test_script_functions_take_settings_from_the_environment(
    emulator: InProcessEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERTEX_AI_EMULATOR_HOST", emulator.host_port)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    monkeypatch.delenv("GOOGLE_CLOUD_LOCATION", raising=False)
    name = emulator.create_job()["name"]

    assert vertex_tuning.get_tuning_job(name).name == name
    assert [job.name for job in vertex_tuning.list_tuning_jobs()] == [name]
    vertex_tuning.cancel_tuning_job(name)
    assert vertex_tuning.get_tuning_job(name).job_state in (JobState.CANCELLING, JobState.CANCELLED)


def test_the_v1beta1_api_version_is_used_in_paths(
    emulator: InProcessEmulator, wire: RecordingTransport, clock: VirtualClock
) -> None:
    name = emulator.create_job()["name"]
    with make_client(emulator.host_port, wire, clock, api_version="v1beta1") as beta:
        assert beta.get_tuning_job(TuningJobName.parse(name)).name == name
    assert wire.sent[0].url.path == f"/v1beta1/{name}"


def test_nothing_listening_is_a_transport_error_and_a_create_that_never_connected_is_not_ambiguous(
    wire: RecordingTransport, clock: VirtualClock
) -> None:
    with make_client(f"127.0.0.1:{free_port()}", wire, clock) as client:
        with pytest.raises(TransportError) as lost:
            client.get_tuning_job(
                TuningJobName.parse(f"projects/{PROJECT}/locations/{LOCATION}/tuningJobs/1")
            )
        with pytest.raises(TransportError) as refused:
            client.create_tuning_job(
                LocationName(PROJECT, LOCATION), TuningJob(base_model="gemini-3.1-flash-lite")
            )

    assert "ConnectError" in str(lost.value)
    assert not isinstance(refused.value, AmbiguousCreateError)
    assert len(wire.sent) == 8  # four attempts each
    assert len(clock.sleeps) == 6
