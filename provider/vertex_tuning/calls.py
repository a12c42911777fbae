"""The shape of one call the client's request loop sends: what it carries and where it goes.

`Call` is a call to the Vertex AI API (a validated resource path on the host of its location);
`storage.StorageCall` is one to Cloud Storage. The loop (`client.VertexClient.request`) takes
anything that is a `Request`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .client import VertexClient


class Request(Protocol):
    """What the request loop needs of a call: `Call` here, `storage.StorageCall` for Cloud Storage."""

    @property
    def method(self) -> str: ...
    @property
    def is_create(self) -> bool: ...
    @property
    def body(self) -> Mapping[str, Any] | None: ...
    @property
    def params(self) -> Mapping[str, Any]: ...
    @property
    def content(self) -> Callable[[], Iterator[bytes]] | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def named(self) -> str: ...
    @property
    def label(self) -> str: ...

    def url(self, client: VertexClient) -> str:
        """Where the call goes, with the client's host for it."""
        ...


@dataclass(frozen=True)
class Call:
    """One call to the Vertex AI API, sent to the host that serves `location`."""

    method: str
    location: str
    resource: str  # the validated resource path, without the API version
    verb: str = ""  # a custom method such as ":cancel"
    body: Mapping[str, Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    is_create: bool = False
    content: Callable[[], Iterator[bytes]] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        """The path after the API version: `projects/…/tuningJobs/1:cancel`."""
        return f"{self.resource}{self.verb}"

    @property
    def named(self) -> str:
        """What the call acts on, as messages name it."""
        return self.target

    @property
    def label(self) -> str:
        return f"{self.method} {self.named}"

    def url(self, client: VertexClient) -> str:
        return f"{client.base_url(self.location)}/{client.settings.api_version}/{self.target}"
