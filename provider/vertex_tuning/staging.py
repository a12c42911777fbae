"""GitOps datasets: local JSONL files staged to Cloud Storage under their content's hash.

A dataset that lives in the repository next to the stack is uploaded to
`gs://BUCKET/PREFIX/<sha256>.jsonl` and tuned from there. The name is the content, so an object
already there holds exactly these bytes and is never uploaded again (one metadata GET decides),
and moving or touching the file changes nothing while editing it changes the URI.

Uploads follow the client's conventions: validated names only, timeouts on every request, a bearer
token only for HTTPS requests to *.googleapis.com (`auth.GoogleAuth`), none for the emulator, typed
errors, and bounded retries (an upload of content-addressed bytes is safe to repeat).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import httpx
import tenacity

from . import __version__, catalogue
from .auth import GoogleAuth
from .client import RetryPolicy
from .datasets import Purpose, validate_dataset_file
from .errors import ApiError, ConfigurationError, NotFoundError, TransportError, VertexTuningError
from .settings import Settings
from .spec import is_unknown

STORAGE_HOST = "https://storage.googleapis.com"
STAGING_CONFIG = "vertex-tuning:stagingUri"
LOCAL_DATASETS: tuple[tuple[str, str, Purpose], ...] = (
    ("training_dataset", "training_dataset_uri", "training"),
    ("validation_dataset", "validation_dataset_uri", "validation"),
)
"""(local file input, the URI input it becomes, what the file is for)."""
# A tuned model's base model is not known offline; its datasets are checked as for this one.
FALLBACK_MODEL = "gemini-2.5-flash"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")
_RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_CHUNK = 1024 * 1024


class StagingUriError(ConfigurationError):
    """A staging location that is not `gs://BUCKET[/PREFIX]` with safe names."""


@dataclass(frozen=True)
class StagingLocation:
    """Where datasets are staged: a bucket and an optional prefix (no leading or trailing `/`)."""

    bucket: str
    prefix: str = ""

    @classmethod
    def parse(cls, uri: object) -> StagingLocation:
        example = "gs://my-bucket/tuning-datasets"
        if not isinstance(uri, str) or not uri.startswith("gs://"):
            raise StagingUriError(f"the staging URI must look like {example!r}, got {uri!r}")
        bucket, _, prefix = uri.removeprefix("gs://").partition("/")
        prefix = prefix.strip("/")
        if not _BUCKET.fullmatch(bucket):
            raise StagingUriError(
                f"{uri!r} does not name a valid bucket (lowercase letters, digits, '-', '_', '.'); "
                f"expected something like {example!r}"
            )
        check_object_name(prefix or "x", uri)
        return cls(bucket, prefix)

    def object_name(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256}.jsonl" if self.prefix else f"{sha256}.jsonl"

    def uri_for(self, sha256: str) -> str:
        return f"gs://{self.bucket}/{self.object_name(sha256)}"


def check_object_name(name: str, uri: str) -> str:
    """An object name that cannot change the path it is sent to: printable ASCII, no `.`/`..` parts."""
    if not name.isascii() or not name.isprintable() or "\\" in name or len(name.encode()) > 1024:
        raise StagingUriError(f"{uri!r} holds characters a staging path may not hold (use plain ASCII)")
    if any(part in ("", ".", "..") for part in name.split("/")):
        raise StagingUriError(f"{uri!r} must not contain empty, '.' or '..' path segments")
    return name


def split_gcs_uri(uri: str) -> tuple[str, str]:
    """`gs://bucket/path/to/object` as (bucket, object name), validated."""
    location = StagingLocation.parse(uri)
    if not location.prefix:
        raise StagingUriError(f"{uri!r} must name an object: gs://bucket/path/to/object")
    return location.bucket, location.prefix


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in chunks (datasets may be up to 1 GB)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class StorageClient:
    """The two Cloud Storage JSON API calls staging needs: object metadata, and a media upload."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        credentials: Any = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = f"http://{settings.emulator_host}" if settings.emulator_host else STORAGE_HOST
        auth = (
            None
            if settings.uses_emulator
            else GoogleAuth(credentials, impersonate_service_account=settings.impersonate_service_account)
        )
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._http = httpx.Client(
            transport=transport,
            auth=auth,
            timeout=httpx.Timeout(settings.request_timeout, connect=min(10.0, settings.request_timeout)),
            headers={"User-Agent": f"pulumi-vertex-tuning/{__version__}"},
            follow_redirects=False,
        )

    def __enter__(self) -> StorageClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __getstate__(self) -> NoReturn:
        raise TypeError("StorageClient holds credentials; create it where the upload happens")

    def object_exists(self, bucket: str, name: str) -> bool:
        path = f"/storage/v1/b/{bucket}/o/{quote(name, safe='')}"
        try:
            self._request("GET", path, resource=f"gs://{bucket}/{name}")
        except NotFoundError:
            return False
        return True

    def upload(self, bucket: str, name: str, source: Path) -> None:
        size = source.stat().st_size

        def chunks() -> Iterator[bytes]:
            with source.open("rb") as stream:
                yield from iter(lambda: stream.read(_CHUNK), b"")

        self._request(
            "POST",
            f"/upload/storage/v1/b/{bucket}/o",
            resource=f"gs://{bucket}/{name}",
            params={"uploadType": "media", "name": name},
            headers={"Content-Type": "application/jsonl", "Content-Length": str(size)},
            body=chunks,
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        resource: str,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: Callable[[], Iterator[bytes]] | None = None,
    ) -> None:
        def send() -> None:
            # A fresh body per attempt: a stream cannot be replayed.
            content = body() if body is not None else None
            response = self._http.request(
                method, self.base_url + path, params=params, headers=headers, content=content
            )
            if not response.is_success:
                raise ApiError.from_response(response, method=method, resource=resource)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_retryable),
            wait=tenacity.wait_random_exponential(
                multiplier=self.retry.initial_backoff, max=self.retry.max_backoff
            ),
            stop=tenacity.stop_any(
                tenacity.stop_after_attempt(self.retry.max_attempts),
                tenacity.stop_after_delay(self.retry.budget),
            ),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            retrying(send)
        except httpx.TransportError as error:
            reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise TransportError(method=method, resource=resource, reason=reason) from error


def _retryable(error: BaseException) -> bool:
    if isinstance(error, ApiError):
        return error.http_status in _RETRYABLE_STATUSES
    return isinstance(error, httpx.TransportError)


def stage_dataset(
    settings: Settings, path: Path, staging_uri: str, *, client: StorageClient | None = None
) -> str:
    """Upload `path` to `staging_uri/<sha256>.jsonl` unless it is already there; the object's URI."""
    location = StagingLocation.parse(staging_uri)
    uri = location.uri_for(file_sha256(path))
    upload_file(settings, path, uri, client=client, skip_existing=True)
    return uri


def upload_file(
    settings: Settings,
    path: Path,
    uri: str,
    *,
    client: StorageClient | None = None,
    skip_existing: bool = False,
) -> bool:
    """Upload a local file to a `gs://` URI; False when `skip_existing` found the object there."""
    bucket, name = split_gcs_uri(uri)
    storage = client or StorageClient(settings)
    try:
        if skip_existing and storage.object_exists(bucket, name):
            return False
        storage.upload(bucket, name, path)
        return True
    finally:
        if client is None:
            storage.close()


# --- the provider's side: check plans the URIs, create uploads --------------------------------


def plan_local_datasets(
    props: Mapping[str, Any], default_staging_uri: str | None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """For check: validate each local dataset file and give it its content-addressed URI.

    Reads the files, never the network. Returns the inputs with `training_dataset_uri` (and
    `validation_dataset_uri`) set to `gs://BUCKET/PREFIX/<sha256>.jsonl`, and every problem as
    (input name, reason). The URI holds the content's hash, so diff sees a content change and
    nothing else; the path stays an input only so that create knows what to upload.
    """
    planned: dict[str, Any] = dict(props)
    problems: list[tuple[str, str]] = []
    sources = [source for source in LOCAL_DATASETS if props.get(source[0]) is not None]
    if not sources:
        return planned, problems
    location, problem = _staging_location(props.get("staging_uri") or default_staging_uri)
    problems += problem
    model = catalogue.find_base_model(str(props.get("base_model") or FALLBACK_MODEL))
    for path_input, uri_input, purpose in sources:
        value = props[path_input]
        if is_unknown(value) or not isinstance(value, str):
            continue  # not known yet, or not a path at all (spec's rules say so)
        if props.get(uri_input) is not None:
            problems.append((path_input, f"set only one of {path_input} (a local file) and {uri_input}"))
            continue
        report = validate_dataset_file(Path(str(value)), model or _fallback_model(), purpose)
        problems += [(path_input, f"{value}: {found}") for found in report.problems]
        if report.ok and location is not None:
            planned[uri_input] = location.uri_for(file_sha256(Path(str(value))))
    return planned, problems


def _staging_location(value: Any) -> tuple[StagingLocation | None, list[tuple[str, str]]]:
    if value is None:
        return None, [
            (
                "staging_uri",
                "local datasets are uploaded before tuning: set staging_uri, or run "
                "`pulumi config set vertex-tuning:stagingUri gs://BUCKET/PREFIX`",
            )
        ]
    if is_unknown(value):
        return None, []
    try:
        return StagingLocation.parse(value), []
    except StagingUriError as error:
        return None, [("staging_uri", str(error))]


def _fallback_model() -> catalogue.BaseModel:
    model = catalogue.find_base_model(FALLBACK_MODEL)
    assert model is not None
    return model


def upload_local_datasets(settings: Settings, props: Mapping[str, Any]) -> None:
    """For create: upload each local dataset to the URI check gave it, unless it is already there."""
    for path_input, uri_input, _ in LOCAL_DATASETS:
        if props.get(path_input) is None:
            continue
        path, uri = Path(str(props[path_input])), str(props[uri_input])
        if not uri.endswith(f"/{file_sha256(path)}.jsonl"):
            raise VertexTuningError(
                f"{path} changed after check hashed it; run `pulumi up` again to tune its new content"
            )
        upload_file(settings, path, uri, skip_existing=True)
