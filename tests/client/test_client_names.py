"""Names: strict validators, typed parsers that render back exactly, hosts per location, console links."""

from __future__ import annotations

import pytest

from vertex_tuning.errors import ConfigurationError, InvalidNameError
from vertex_tuning.names import (
    ContextName,
    EndpointName,
    ModelName,
    TensorboardRunName,
    TimeSeriesName,
    TuningJobName,
    api_host,
    console_url,
    validate_location,
    validate_numeric_id,
    validate_project,
)


@pytest.mark.parametrize("project", ["my-project", "abcdef", "a-very-long-project-name-30ch", "123456789012"])
def test_project_ids_and_numbers_are_accepted(project: str) -> None:
    assert validate_project(project) == project


@pytest.mark.parametrize(
    "project",
    ["short", "My-Project", "ends-with-", "1starts-with-digit", "a" * 31, "my_project", "0123", "p.example"],
)
def test_malformed_projects_are_rejected_with_an_example(project: str) -> None:
    with pytest.raises(InvalidNameError, match="expected something like 'my-project-123'"):
        validate_project(project)


@pytest.mark.parametrize(
    "location",
    ["us-central1", "europe-west4", "asia-northeast1", "northamerica-northeast1", "global", "us", "eu"],
)
def test_real_locations_are_accepted(location: str) -> None:
    assert validate_location(location) == location


@pytest.mark.parametrize(
    "location", ["US-CENTRAL1", "uscentral1", "us-central", "asia", "us-central1-a", "-us"]
)
def test_location_lookalikes_are_rejected(location: str) -> None:
    with pytest.raises(InvalidNameError):
        validate_location(location)


def test_numeric_ids_have_at_most_19_ascii_digits() -> None:
    assert validate_numeric_id("1" * 19) == "1" * 19
    for bad in ("1" * 20, "12a", "-1", "1.0", "\u0661"):
        with pytest.raises(InvalidNameError):
            validate_numeric_id(bad, "tuning job id")


def test_invalid_names_are_configuration_errors_that_name_what_is_wrong() -> None:
    with pytest.raises(
        ConfigurationError, match=r"location 'us-central1\\n' contains a non-ASCII or control"
    ):
        validate_location("us-central1\n")
    with pytest.raises(InvalidNameError, match="must be a string"):
        validate_location(None)


def test_tuning_job_names_parse_into_parts_and_render_back() -> None:
    name = TuningJobName.parse("projects/123456789/locations/europe-west4/tuningJobs/987654321")

    assert (name.project, name.location, name.job_id) == ("123456789", "europe-west4", "987654321")
    assert str(name) == "projects/123456789/locations/europe-west4/tuningJobs/987654321"
    assert str(name.parent) == "projects/123456789/locations/europe-west4"


@pytest.mark.parametrize(
    "text",
    [
        "projects/my-project/locations/us-central1/tuningJobs/",
        "projects/my-project/locations/us-central1/tuningJobs/1/extra",
        "projects/my-project/locations/us-central1/endpoints/1",
        "/projects/my-project/locations/us-central1/tuningJobs/1",
        "projects/my-project/locations/us-central1/tuningJobs/1/",
        "projects//locations/us-central1/tuningJobs/1",
        "tuningJobs/1",
    ],
)
def test_malformed_job_names_are_rejected_naming_the_bad_part(text: str) -> None:
    with pytest.raises(InvalidNameError, match=r"^(tuning job name|tuning job id|project) '.*' is not valid"):
        TuningJobName.parse(text)


def test_endpoint_and_model_names_parse_with_an_optional_version() -> None:
    endpoint = EndpointName.parse("projects/my-project/locations/us-central1/endpoints/42")
    versioned = ModelName.parse("projects/my-project/locations/us-central1/models/77@1")
    plain = ModelName.parse("projects/my-project/locations/us-central1/models/77")

    assert endpoint.endpoint_id == "42"
    assert (versioned.model_id, versioned.version) == ("77", "1")
    assert str(versioned).endswith("/models/77@1")
    assert plain.version is None
    assert str(plain).endswith("/models/77")
    with pytest.raises(InvalidNameError):
        ModelName.parse("projects/my-project/locations/us-central1/models/77@1/x")


def test_metrics_names_parse_and_render_back() -> None:
    context = "projects/123/locations/us-central1/metadataStores/default/contexts/tuning-experiment-1"
    run = "projects/123/locations/us-central1/tensorboards/5/experiments/tuning-experiment-1/runs/run-1"
    series = f"{run}/timeSeries/9"

    assert str(ContextName.parse(context)) == context
    assert ContextName.parse(context).context_id == "tuning-experiment-1"
    assert str(TimeSeriesName.parse(series)) == series
    assert TimeSeriesName.parse(series).run == TensorboardRunName.parse(run)


@pytest.mark.parametrize(
    "location,host",
    [
        ("us-central1", "us-central1-aiplatform.googleapis.com"),
        ("europe-west4", "europe-west4-aiplatform.googleapis.com"),
        ("global", "aiplatform.googleapis.com"),
        ("us", "aiplatform.us.rep.googleapis.com"),
        ("eu", "aiplatform.eu.rep.googleapis.com"),
    ],
)
def test_api_host_per_location(location: str, host: str) -> None:
    assert api_host(location) == host


def test_api_host_validates_its_input() -> None:
    with pytest.raises(InvalidNameError):
        api_host("us-central1.evil.com/x")


def test_console_url_points_at_the_job_in_its_project() -> None:
    url = console_url("projects/my-project/locations/europe-west4/tuningJobs/42")

    assert url == (
        "https://console.cloud.google.com/vertex-ai/generative/language/locations/europe-west4/"
        "tuning/tuningJob/42?project=my-project"
    )
    assert console_url(TuningJobName("my-project", "europe-west4", "42")) == url
