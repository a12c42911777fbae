"""The Cloud Storage JSON API calls GitOps staging and `dataset validate` make: metadata, download, upload.

`GET /storage/v1/b/{bucket}/o/{object}` answers the object's metadata (404 when absent), or with
`alt=media` its bytes, and `POST /upload/storage/v1/b/{bucket}/o?uploadType=media&name=…` stores
the request body, streamed to disk (up to the 1 GB a tuning dataset may be), never held in
memory. Objects are files under the emulator's data directory, through the same `DataDir` mapping
the jobs read datasets from, so nothing can be read or written outside it. Routes are listed as
specs that `routes/` turns into its routes; this module needs nothing from the app itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import anyio
import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from ..wire import StorageObject
from .rpc import ApiError, invalid, not_found
from .storage import DataDir, StorageError

_BUCKET = r"(?P<bucket>[a-z0-9][a-z0-9._-]{1,220}[a-z0-9])"


MAX_UPLOAD_BYTES = 1024**3  # a tuning dataset file may be up to 1 GB
_HASH_CHUNK = 1024 * 1024


class _Call(Protocol):
    params: dict[str, str]
    body: bytes
    request: Request

    @property
    def query(self) -> Any: ...


class _Emulator(Protocol):
    @property
    def jobs(self) -> Any: ...


def _object_uri(data: DataDir, bucket: str, name: str) -> Path:
    try:
        return data.resolve(f"gs://{bucket}/{name}")
    except StorageError as error:
        raise invalid(f"Invalid object name: {error}") from None


def _metadata(bucket: str, name: str, path: Path) -> StorageObject:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    stat = path.stat()
    modified = datetime.fromtimestamp(stat.st_mtime, tz=timezone.utc)
    generation = stat.st_mtime_ns // 1000
    return StorageObject(
        kind="storage#object",
        id=f"{bucket}/{name}/{generation}",
        name=name,
        bucket=bucket,
        generation=generation,
        size=stat.st_size,
        md5_hash=base64.b64encode(digest.digest()).decode(),
        content_type="application/octet-stream",
        time_created=modified,
        updated=modified,
    )


def _json(metadata: StorageObject) -> Response:
    return Response(json.dumps(metadata.to_json_dict()), media_type="application/json; charset=UTF-8")


def get_object(emulator: _Emulator, call: _Call) -> Response:
    bucket, name = call.params["bucket"], call.params["object"]
    path = _object_uri(emulator.jobs.data, bucket, name)
    if not path.is_file():
        raise not_found(f"No such object: {bucket}/{name}")
    if call.query.get("alt") == "media":  # a download, as `dataset validate gs://...` does
        return Response(path.read_bytes(), media_type="application/octet-stream")
    return _json(_metadata(bucket, name, path))


async def upload_object(emulator: _Emulator, call: _Call) -> Response:
    if call.query.get("uploadType", "media") != "media":
        raise invalid("Only uploadType=media is supported by the emulator.")
    bucket, name = call.params["bucket"], call.query.get("name", "")
    if not name:
        raise invalid("Required parameter: name")
    path = _object_uri(emulator.jobs.data, bucket, name)
    declared = call.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _too_big()
    await anyio.to_thread.run_sync(lambda: path.parent.mkdir(parents=True, exist_ok=True))
    # Written aside and renamed, so a reader never sees half an object (as on Cloud Storage).
    partial = path.with_name(f".{path.name}.{os.getpid()}.{id(call)}.partial")
    size = 0
    try:
        async with await anyio.open_file(partial, "wb") as stream:
            async for chunk in call.request.stream():
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise _too_big()
                await stream.write(chunk)
        await anyio.to_thread.run_sync(partial.replace, path)
    finally:
        await anyio.to_thread.run_sync(lambda: partial.unlink(missing_ok=True))
    return _json(await anyio.to_thread.run_sync(_metadata, bucket, name, path))


def _too_big() -> ApiError:
    return ApiError(
        "INVALID_ARGUMENT",
        f"Object exceeds the emulator's upload limit of {MAX_UPLOAD_BYTES} bytes.",
        http_status=413,
    )


# (method, path pattern, route name, handler, allowed query parameters, streams body) for routes/.
ROUTE_SPECS: list[tuple[Any, ...]] = [
    ("GET", rf"/storage/v1/b/{_BUCKET}/o/(?P<object>.+)", "storage.objects.get", get_object, ("alt",), False),
    ("POST", rf"/upload/storage/v1/b/{_BUCKET}/o", "storage.objects.insert", upload_object, ("name",), True),
]
