"""Google's own clients pointed at the emulator, as their samples would be but for the endpoint.

The clients are imported inside each helper: they are slow to import and only these tests need them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.oauth2.credentials import Credentials

from support.emulator import LOCATION, PROJECT, RunningEmulator


def emulator_token() -> Credentials:
    """Real OAuth credentials with a fixed token: the clients attach it, the emulator ignores it."""
    return Credentials(token="emulator-token")


def api_client(emulator: RunningEmulator) -> Any:
    """google-api-python-client's `aiplatform` v1 service, from its static discovery document."""
    from googleapiclient.discovery import build

    return build(
        "aiplatform",
        "v1",
        credentials=emulator_token(),
        client_options={"api_endpoint": emulator.base_url},
        static_discovery=True,
    )


@pytest.fixture
def vertexai_on_the_emulator(emulator: RunningEmulator) -> Iterator[None]:
    """`vertexai.init()` for the emulator in REST mode; the process-wide config is reset afterwards,
    so later tests in this worker start clean."""
    import vertexai
    from google.cloud.aiplatform import initializer

    vertexai.init(
        project=PROJECT,
        location=LOCATION,
        api_endpoint=emulator.base_url,
        api_transport="rest",
        credentials=emulator_token(),
    )
    yield
    # In place: vertexai.init is bound to this object, so a replacement would never be configured.
    initializer.global_config.__init__()
