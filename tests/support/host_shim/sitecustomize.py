"""Loaded at start-up by provider hosts of the security and fuzz tests (their PYTHONPATH holds this
folder); inert in any process without RELIABILITY_RECORD.

- Records every outbound socket connection and every HTTP request (URL and Authorization header)
  as JSON lines in the file RELIABILITY_RECORD names, before anything is sent.
- RELIABILITY_NO_NETWORK=1: any outbound connection fails (check must never need one).
- RELIABILITY_CANARY_TOKEN: Application Default Credentials are a static OAuth token with that
  value, so a leak of the token anywhere can be searched for.
- RELIABILITY_FRONT_END=host:port: stands in for Google's HTTPS front end: a request for
  `https://*.googleapis.com` is recorded as sent, then carried to that (emulator) address over
  plain HTTP without its token. No request ever leaves this machine.
"""

from __future__ import annotations

import json
import os
import socket
import threading

_RECORD = os.environ.get("RELIABILITY_RECORD")
_lock = threading.Lock()


def _record(kind: str, **fields: object) -> None:
    assert _RECORD is not None
    with _lock, open(_RECORD, "a", encoding="utf-8") as sink:
        sink.write(json.dumps({"kind": kind, **fields}) + "\n")


def _guard_sockets() -> None:
    connect = socket.socket.connect

    def recorded_connect(self: socket.socket, address: object) -> None:
        _record("connect", address=repr(address))
        if os.environ.get("RELIABILITY_NO_NETWORK") == "1":
            raise OSError("this provider host may not open network connections")
        connect(self, address)  # type: ignore[arg-type]

    socket.socket.connect = recorded_connect  # type: ignore[method-assign]


def _record_http() -> None:
    import httpx

    send = httpx.HTTPTransport.handle_request
    front_end = os.environ.get("RELIABILITY_FRONT_END")

    def recorded_send(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        url = request.url
        _record(
            "request", method=request.method, url=str(url), authorization=request.headers.get("authorization")
        )
        if front_end and url.scheme == "https" and url.host.endswith(".googleapis.com"):
            headers = {key: value for key, value in request.headers.items() if key.lower() != "authorization"}
            headers["host"] = front_end
            target = url.copy_with(
                scheme="http", host=front_end.split(":")[0], port=int(front_end.split(":")[1])
            )
            request = httpx.Request(request.method, target, headers=headers, content=request.read())
        return send(self, request)

    httpx.HTTPTransport.handle_request = recorded_send  # type: ignore[method-assign]


def _lend_canary_credentials(token: str) -> None:
    import google.auth
    from google.oauth2.credentials import Credentials

    def default(scopes: object = None, **kwargs: object) -> tuple[Credentials, str | None]:
        return Credentials(token=token), os.environ.get("RELIABILITY_ADC_PROJECT")

    google.auth.default = default


if _RECORD is not None:
    _guard_sockets()
    _record_http()
    if os.environ.get("RELIABILITY_CANARY_TOKEN"):
        _lend_canary_credentials(os.environ["RELIABILITY_CANARY_TOKEN"])
