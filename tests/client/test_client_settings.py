"""Settings resolution (decision 7): resource input, then stack config, then the environment, then
Application Default Credentials, each source on its own and in order, and the errors that say what to set."""

from __future__ import annotations

import pickle

import pytest

from vertex_tuning import settings
from vertex_tuning.errors import ConfigurationError, InvalidNameError
from vertex_tuning.settings import Settings, Transport, resolve_settings


def no_adc() -> str | None:
    raise AssertionError("ADC must not be consulted when another source names the project")


PROJECT_SOURCES = [
    ("input", {"project": "from-input"}, {}, {}),
    ("vertex config", {}, {"vertex-tuning:project": "from-vertex-config"}, {}),
    ("gcp config", {}, {"gcp:project": "from-gcp-config"}, {}),
    ("GOOGLE_PROJECT", {}, {}, {"GOOGLE_PROJECT": "from-google-project"}),  # pulumi-gcp's first
    ("GOOGLE_CLOUD_PROJECT", {}, {}, {"GOOGLE_CLOUD_PROJECT": "from-google-cloud"}),
    ("GCLOUD_PROJECT", {}, {}, {"GCLOUD_PROJECT": "from-gcloud"}),
    ("CLOUDSDK_CORE_PROJECT", {}, {}, {"CLOUDSDK_CORE_PROJECT": "from-cloudsdk"}),
]


@pytest.mark.parametrize("source,given,config,environ", PROJECT_SOURCES, ids=[s[0] for s in PROJECT_SOURCES])
def test_each_project_source_works_on_its_own(
    source: str, given: dict[str, str], config: dict[str, str], environ: dict[str, str]
) -> None:
    settings = resolve_settings(**given, config=config, environ=environ, default_project=no_adc)

    assert settings.project == next(iter({**given, **config, **environ}.values()))


def test_project_sources_are_taken_in_order() -> None:
    """Drop the winning source one at a time: the next one in the documented order takes over."""
    sources = list(PROJECT_SOURCES)
    while sources:
        given, config, environ = {}, {}, {}
        for _, g, c, e in sources:
            given.update(g)
            config.update(c)
            environ.update(e)
        winner = next(iter({**sources[0][1], **sources[0][2], **sources[0][3]}.values()))
        assert (
            resolve_settings(**given, config=config, environ=environ, default_project=no_adc).project
            == winner
        )
        sources.pop(0)


def test_adc_names_the_project_last_and_only_when_needed() -> None:
    asked: list[bool] = []

    def adc() -> str | None:
        asked.append(True)
        return "from-adc-project"

    assert resolve_settings(config={}, environ={}, default_project=adc).project == "from-adc-project"
    assert asked == [True]


def test_the_emulator_needs_no_adc_and_a_missing_project_says_what_to_set() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(environ={"VERTEX_AI_EMULATOR_HOST": "127.0.0.1:8765"}, default_project=no_adc)

    message = str(caught.value)
    assert "vertex-tuning:project" in message
    assert "GOOGLE_CLOUD_PROJECT" in message
    assert "`project`" in message


def test_no_project_anywhere_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no Google Cloud project is set"):
        resolve_settings(config={}, environ={}, default_project=lambda: None)


def test_blank_values_count_as_unset() -> None:
    settings = resolve_settings(
        project="  ",
        location="",
        config={"vertex-tuning:project": "", "gcp:region": " "},
        environ={"GOOGLE_CLOUD_PROJECT": "env-project", "VERTEX_AI_EMULATOR_HOST": ""},
        default_project=no_adc,
    )

    assert (settings.project, settings.location, settings.emulator_host) == (
        "env-project",
        "us-central1",
        None,
    )


@pytest.mark.parametrize(
    "given,config,environ,expected",
    [
        ({"location": "europe-west4"}, {"vertex-tuning:location": "us-east5"}, {}, "europe-west4"),
        ({}, {"vertex-tuning:location": "us-east5", "gcp:region": "asia-northeast1"}, {}, "us-east5"),
        ({}, {"gcp:region": "asia-northeast1"}, {"GOOGLE_CLOUD_LOCATION": "eu"}, "asia-northeast1"),
        ({}, {}, {"GOOGLE_CLOUD_LOCATION": "eu", "GOOGLE_CLOUD_REGION": "us-east1"}, "eu"),
        ({}, {}, {"GOOGLE_CLOUD_REGION": "us-east1", "CLOUDSDK_COMPUTE_REGION": "us-west1"}, "us-east1"),
        ({}, {}, {"CLOUDSDK_COMPUTE_REGION": "us-west1"}, "us-west1"),
        ({}, {}, {}, "us-central1"),
    ],
    ids=[
        "input",
        "vertex-config",
        "gcp-region",
        "GOOGLE_CLOUD_LOCATION",
        "GOOGLE_CLOUD_REGION",
        "CLOUDSDK",
        "default",
    ],
)
def test_location_sources_in_order_with_us_central1_as_default(
    given: dict[str, str], config: dict[str, str], environ: dict[str, str], expected: str
) -> None:
    settings = resolve_settings(**given, config=config, environ={"GCLOUD_PROJECT": "some-project", **environ})

    assert settings.location == expected


def test_stack_config_beats_the_environment_for_the_emulator_and_sets_the_rest() -> None:
    settings = resolve_settings(
        config={
            "gcp:project": "stack-project",
            "vertex-tuning:emulatorHost": "localhost:9000",
            "vertex-tuning:impersonateServiceAccount": "tuner@stack-project.iam.gserviceaccount.com",
            "vertex-tuning:apiVersion": "v1beta1",
            "vertex-tuning:requestTimeout": "15",
        },
        environ={"VERTEX_AI_EMULATOR_HOST": "127.0.0.1:1"},
        default_project=no_adc,
    )

    assert settings == Settings(
        project="stack-project",
        api_version="v1beta1",
        transport=Transport(
            emulator_host="localhost:9000",
            impersonate_service_account="tuner@stack-project.iam.gserviceaccount.com",
            request_timeout=15.0,
        ),
    )
    assert settings.uses_emulator


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:1", "[::1]:8080", "emulator.internal:443"])
def test_emulator_hosts_are_host_and_port(host: str) -> None:
    assert (
        resolve_settings(environ={"VERTEX_AI_EMULATOR_HOST": host, "GCLOUD_PROJECT": "p-12345"}).emulator_host
        == host
    )


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1:8765",
        "127.0.0.1",
        "127.0.0.1:0",
        "127.0.0.1:70000",
        "127.0.0.1:80/x",
        "a b:1",
        "h:1\n",
    ],
)
def test_malformed_emulator_hosts_are_rejected_naming_the_variable(host: str) -> None:
    with pytest.raises(ConfigurationError, match="VERTEX_AI_EMULATOR_HOST"):
        resolve_settings(environ={"VERTEX_AI_EMULATOR_HOST": host, "GCLOUD_PROJECT": "p-12345"})


def test_an_invalid_value_is_reported_with_its_source() -> None:
    with pytest.raises(InvalidNameError, match=r"location \(from stack config gcp:region\) 'US-CENTRAL1'"):
        resolve_settings(config={"gcp:project": "p-12345", "gcp:region": "US-CENTRAL1"}, environ={})
    with pytest.raises(InvalidNameError, match=r"project \(from environment variable GCLOUD_PROJECT\)"):
        resolve_settings(environ={"GCLOUD_PROJECT": "Not_A_Project"})


@pytest.mark.parametrize(
    "key,value,message",
    [
        ("vertex-tuning:apiVersion", "v2", "apiVersion"),
        ("vertex-tuning:requestTimeout", "soon", "requestTimeout"),
        ("vertex-tuning:requestTimeout", "0", "requestTimeout"),
        ("vertex-tuning:impersonateServiceAccount", "not an email", "impersonateServiceAccount"),
    ],
)
def test_other_bad_config_names_its_key(key: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        resolve_settings(config={"gcp:project": "p-12345", key: value}, environ={})


def test_settings_are_plain_frozen_data_that_pickle() -> None:
    settings = Settings(project="p-12345", transport=Transport(emulator_host="127.0.0.1:8765"))

    assert pickle.loads(pickle.dumps(settings)) == settings  # noqa: S301  (our own bytes)
    with pytest.raises(AttributeError):
        settings.project = "other-project"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (settings.TIMEOUT_CONFIG, "soon"),
        (settings.TIMEOUT_CONFIG, "nan"),
        (settings.TIMEOUT_CONFIG, "0"),
        (settings.API_VERSION_CONFIG, "v2"),
        (settings.IMPERSONATE_CONFIG, "not-an-email"),
        (settings.EMULATOR_CONFIG, "http://127.0.0.1:8765"),
    ],
)
def test_each_bad_connection_setting_in_stack_config_is_named_by_its_key(key: str, value: str) -> None:
    found = settings.config_problems({key: value, "gcp:project": "acme-ml"})
    assert [name for name, _ in found] == [key]


def test_good_or_blank_connection_settings_have_no_problems() -> None:
    config = {
        settings.TIMEOUT_CONFIG: "30",
        settings.API_VERSION_CONFIG: "v1beta1",
        settings.IMPERSONATE_CONFIG: "tuner@acme-ml.iam.gserviceaccount.com",
        settings.EMULATOR_CONFIG: " ",
    }
    assert settings.config_problems(config) == []


# --- pulumi-gcp parity ---------------------------------------------------------------------------

LOCATION_ORDER = ["GOOGLE_CLOUD_LOCATION", "GOOGLE_REGION", "GCLOUD_REGION", "GOOGLE_CLOUD_REGION"]


def test_pulumi_gcp_region_variables_in_their_documented_order() -> None:
    environ = {name: f"europe-west{index + 1}" for index, name in enumerate(LOCATION_ORDER)}
    environ["CLOUDSDK_COMPUTE_REGION"] = "asia-east1"
    while environ:
        winner = next(iter(environ.values()))
        resolved = resolve_settings(environ={"GOOGLE_PROJECT": "proj-1", **environ}, default_project=no_adc)
        assert resolved.location == winner
        environ.pop(next(iter(environ)))


def test_impersonation_from_the_cli_then_config_then_pulumi_gcp_then_the_environment() -> None:
    sources = {
        "cli": "cli@proj-1.iam.gserviceaccount.com",
        "vertex-tuning:impersonateServiceAccount": "own@proj-1.iam.gserviceaccount.com",
        "gcp:impersonateServiceAccount": "gcp@proj-1.iam.gserviceaccount.com",
        "GOOGLE_IMPERSONATE_SERVICE_ACCOUNT": "env@proj-1.iam.gserviceaccount.com",
    }

    def resolved(keys: list[str]) -> str | None:
        config = {key: sources[key] for key in keys if ":" in key}
        environ = {key: sources[key] for key in keys if key.isupper()}
        settings = resolve_settings(
            project="proj-1",
            config=config,
            environ=environ,
            impersonate_service_account=sources["cli"] if "cli" in keys else None,
        )
        return settings.transport.impersonate_service_account

    order = list(sources)
    while order:
        assert resolved(order) == sources[order[0]]
        order.pop(0)
    assert resolved([]) is None


def test_google_credentials_are_named_by_their_variable_never_copied() -> None:
    content = '{"type": "service_account", "private_key": "SECRET"}'

    settings = resolve_settings(project="proj-1", environ={"GOOGLE_CREDENTIALS": content})
    fallback = resolve_settings(project="proj-1", environ={"GCLOUD_KEYFILE_JSON": "/keys/sa.json"})

    assert settings.transport.credentials_env == "GOOGLE_CREDENTIALS"
    assert fallback.transport.credentials_env == "GCLOUD_KEYFILE_JSON"
    assert "SECRET" not in repr(settings) and "SECRET" not in str(pickle.dumps(settings))
    assert resolve_settings(project="proj-1", environ={}).transport.credentials_env is None


@pytest.mark.parametrize(
    "config,environ,expected",
    [
        ({"vertex-tuning:billingProject": "own-bill"}, {"GOOGLE_CLOUD_QUOTA_PROJECT": "env-q"}, "own-bill"),
        ({"gcp:billingProject": "gcp-bill", "gcp:userProjectOverride": "true"}, {}, "gcp-bill"),
        ({"gcp:billingProject": "gcp-bill"}, {"GOOGLE_CLOUD_QUOTA_PROJECT": "env-quota"}, "env-quota"),
        ({}, {"GOOGLE_BILLING_PROJECT": "env-bill", "USER_PROJECT_OVERRIDE": "true"}, "env-bill"),
        ({}, {"GOOGLE_BILLING_PROJECT": "env-bill"}, None),
        ({}, {"GOOGLE_CLOUD_QUOTA_PROJECT": "env-quota"}, "env-quota"),
        ({}, {}, None),
    ],
    ids=["own-config", "gcp-with-override", "gcp-without-override", "env-with-override",
         "env-without-override", "quota-variable", "none"],
)  # fmt: skip
def test_the_quota_project_follows_pulumi_gcp_and_google_auth(
    config: dict[str, str], environ: dict[str, str], expected: str | None
) -> None:
    assert (
        resolve_settings(project="proj-1", config=config, environ=environ).transport.quota_project == expected
    )


def test_a_missing_project_message_names_every_place_looked_at() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_settings(config={}, environ={}, default_project=lambda: None)

    for place in ("vertex-tuning:project", "gcp:project", "GOOGLE_PROJECT", "CLOUDSDK_CORE_PROJECT"):
        assert place in str(caught.value)


def test_check_resolves_no_project_as_not_known_yet_without_asking_adc() -> None:
    place = settings.resolve_place(project=None, location=None, config={}, environ={})

    assert place == settings.Place(project=None, location="us-central1")


def test_check_resolves_only_what_the_resource_leaves_unset() -> None:
    config = {"gcp:project": "stack-project", "gcp:region": "europe-west4"}

    assert settings.resolve_place(project="mine", location=None, config=config, environ={}) == settings.Place(
        project=None, location="europe-west4"
    )
    assert settings.resolve_place(
        project=None, location="us-east4", config=config, environ={}
    ) == settings.Place(project="stack-project", location=None)


def test_check_reports_what_stops_resolution_under_the_input_it_stops() -> None:
    with_emulator = settings.resolve_place(
        project=None, location=None, config={}, environ={"VERTEX_AI_EMULATOR_HOST": "127.0.0.1:8765"}
    )
    bad_region = settings.resolve_place(
        project="mine", location=None, config={"gcp:region": "../x"}, environ={}
    )
    bad_host = settings.resolve_place(
        project=None,
        location=None,
        config={},
        environ={"GCLOUD_PROJECT": "p-1", "VERTEX_AI_EMULATOR_HOST": "x"},
    )

    assert [name for name, _ in with_emulator.problems] == ["project"]  # an emulator has no ADC to ask
    assert "no Google Cloud project is set" in with_emulator.problems[0][1]
    assert [name for name, _ in bad_region.problems] == ["location"] and bad_region.location is None
    assert [name for name, _ in bad_host.problems] == ["project", "location"]
    assert bad_host.project is None and bad_host.location is None


def test_settings_are_where_calls_go_and_the_transport_they_travel_by() -> None:
    google = Settings(
        project="p-12345", location="europe-west4", transport=Transport(quota_project="bill-me")
    )
    local = Settings(
        project="p-12345", api_version="v1beta1", transport=Transport(emulator_host="127.0.0.1:8765")
    )

    assert (google.project, google.location, google.api_version) == ("p-12345", "europe-west4", "v1")
    assert google.transport == settings.Transport(quota_project="bill-me") and not google.uses_emulator
    assert local.emulator_host == "127.0.0.1:8765" and local.api_version == "v1beta1"
    assert (
        resolve_settings(project="p-12345", api_version="v1beta1", config={}, environ={}).api_version
        == "v1beta1"
    )
