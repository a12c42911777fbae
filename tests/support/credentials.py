"""Fake Google credentials: real google-auth credentials that never call Google."""

from __future__ import annotations

import google.auth.credentials

CANARY_TOKEN = "ya29.canary-7f3c1d9e-never-leak-this"
"""The token the fake issues: a test that finds it in a log, an error or a URL found a leak."""


class FakeCredentials(google.auth.credentials.Credentials):  # type: ignore[misc]
    """Credentials whose refresh issues `token` (the canary unless given) and counts the refreshes."""

    def __init__(self, token: str = CANARY_TOKEN) -> None:
        super().__init__()
        self._issued = token
        self.refreshes = 0

    def refresh(self, request: object) -> None:
        self.refreshes += 1
        self.token = self._issued
