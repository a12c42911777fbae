"""Cloud Storage's object calls that dataset staging and `dataset validate` need: metadata, download, upload.

They go through the client's one request loop, to `storage.googleapis.com` or, with an emulator,
to the emulator (which serves the same JSON API paths).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .errors import NotFoundError
from .names import GcsObjectName
from .wire import StorageObject

if TYPE_CHECKING:
    from .client import VertexClient

STORAGE_URL = "https://storage.googleapis.com"
UPLOAD_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class StorageCall:
    """One call to Cloud Storage's JSON API about one object (a `calls.Request`)."""

    method: str
    path: str  # after the host: `storage/v1/b/{bucket}/o/{object}`
    gcs_object: GcsObjectName
    params: Mapping[str, Any] = field(default_factory=dict)
    content: Callable[[], Iterator[bytes]] | None = None  # a raw body, made afresh for each attempt
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    is_create: bool = False  # an upload is safe to repeat, so it is retried like a read

    @property
    def named(self) -> str:
        """Messages name the object (`gs://bucket/name`), not the API path."""
        return str(self.gcs_object)

    @property
    def label(self) -> str:
        return f"{self.method} {self.named}"

    def url(self, client: VertexClient) -> str:
        emulator = client.settings.emulator_host is not None
        return f"{client.base_url('') if emulator else STORAGE_URL}/{self.path}"


def _object_path(gcs_object: GcsObjectName) -> str:
    return f"storage/v1/b/{gcs_object.bucket}/o/{quote(gcs_object.object_name, safe='')}"


def object_exists(client: VertexClient, gcs_object: GcsObjectName) -> bool:
    """Whether the object is there (its metadata answers), as a content-addressed upload asks."""
    try:
        client.request(StorageCall("GET", _object_path(gcs_object), gcs_object))
    except NotFoundError:
        return False
    return True


def download_object(client: VertexClient, gcs_object: GcsObjectName) -> bytes:
    """An object's bytes (`alt=media`), as `dataset validate` reads a `gs://` dataset."""
    return client.request_media(
        StorageCall("GET", _object_path(gcs_object), gcs_object, params={"alt": "media"})
    )


def upload_object(client: VertexClient, gcs_object: GcsObjectName, source: Path) -> StorageObject:
    """A media upload of a local file, safe to repeat (so retried like a read); the stored object's
    metadata as Cloud Storage answers it."""

    def chunks() -> Iterator[bytes]:
        with source.open("rb") as stream:
            yield from iter(lambda: stream.read(UPLOAD_CHUNK_BYTES), b"")

    call = StorageCall(
        "POST",
        f"upload/storage/v1/b/{gcs_object.bucket}/o",
        gcs_object,
        params={"uploadType": "media", "name": gcs_object.object_name},
        content=chunks,
        headers={"Content-Type": "application/jsonl", "Content-Length": str(source.stat().st_size)},
    )
    return StorageObject.model_validate(client.request(call))
