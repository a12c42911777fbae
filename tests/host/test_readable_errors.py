"""Inside the provider host our own errors are one line; anything else keeps its traceback."""

from __future__ import annotations

import sys
import traceback
import types

import pytest

from vertex_tuning import host_errors
from vertex_tuning.errors import TuningJobFailedError, VertexTuningError


def formatted(error: Exception) -> str:
    view = host_errors._ReadableTraceback()
    try:
        raise error
    except Exception:
        return view.format_exc()


def test_our_errors_are_their_message_and_others_keep_the_traceback() -> None:
    assert formatted(TuningJobFailedError("Tuning job j ended FAILED: bad line 1.")) == (
        "TuningJobFailedError: Tuning job j ended FAILED: bad line 1.\n"
    )
    other = formatted(KeyError("oops"))
    assert other.startswith("Traceback (most recent call last):") and "KeyError: 'oops'" in other


@pytest.fixture
def fake_host(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    host = types.ModuleType("__main__")
    host.__spec__ = types.SimpleNamespace(name="pulumi.dynamic.__main__")  # type: ignore[assignment]
    host.traceback = traceback  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "__main__", host)
    return host


def test_installed_once_in_the_host_and_the_host_wrapper_then_reports_one_line(fake_host) -> None:
    assert host_errors.readable_errors_in_host() and host_errors.readable_errors_in_host()
    try:
        raise VertexTuningError("the message")
    except VertexTuningError:
        assert fake_host.traceback.format_exc() == "VertexTuningError: the message\n"


def test_a_host_without_the_expected_globals_is_left_alone(fake_host) -> None:
    fake_host.traceback = object()
    assert host_errors.readable_errors_in_host() is False
    del sys.modules["__main__"].__spec__
    assert host_errors.readable_errors_in_host() is False
