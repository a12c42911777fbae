"""Property test: check never raises and names every failure by an input it was given."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pulumi.output import Unknown

from vertex_tuning import settings as vt_settings
from vertex_tuning import spec
from vertex_tuning.provider import TuningJobProvider

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=80),
    st.sampled_from(
        ["gemini-3.1-flash-lite", "FOUR", "gs://b/t.jsonl", "us-central1", "../x", "us-central1.evil.com/x"]
    ),
    st.builds(Unknown),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
props = st.dictionaries(st.sampled_from([*spec.ALL_INPUTS, "colour", "job_name"]), values, max_size=12)


@pytest.fixture(scope="module")
def provider() -> TuningJobProvider:
    configured = TuningJobProvider()
    configured.configure(ConfigureRequest(Config({"gcp:project": "acme-ml"}, "tuning")))
    return configured


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(news=props)
def test_check_never_raises_and_names_inputs(
    provider: TuningJobProvider, news: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network() -> str:
        raise AssertionError("check asked Application Default Credentials")

    monkeypatch.setattr(vt_settings, "adc_project", no_network)
    result = provider.check({}, news)
    allowed = set(spec.ALL_INPUTS) | set(news)
    for failure in result.failures:
        assert failure.property in allowed
        assert failure.reason.strip()
