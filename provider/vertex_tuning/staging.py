"""GitOps datasets: local JSONL files staged to Cloud Storage under their content's hash.

A dataset that lives in the repository next to the stack is uploaded to
`gs://BUCKET/PREFIX/<sha256>.jsonl` and tuned from there. The name is the content, so an object
already there holds exactly these bytes and is never uploaded again (one metadata GET decides),
and moving or touching the file changes nothing while editing it changes the URI.

The uploads themselves go through `client.VertexClient`, the one HTTP path (names validated,
timeouts, retries, a token only for Google's hosts over HTTPS, none for the emulator).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import catalogue, names
from .client import VertexClient
from .datasets import Purpose, validate_dataset_file
from .errors import InvalidNameError, StagingUriError, VertexTuningError
from .spec import is_unknown

STAGING_CONFIG = "vertex-tuning:stagingUri"
LOCAL_DATASETS: tuple[tuple[str, str, Purpose], ...] = (
    ("training_dataset", "training_dataset_uri", "training"),
    ("validation_dataset", "validation_dataset_uri", "validation"),
)
"""(local file input, the URI input it becomes, what the file is for)."""
# A tuned model's base model is not known offline; its datasets are checked as for this one.
FALLBACK_MODEL = catalogue.DEFAULT_MODEL
_CHUNK = 1024 * 1024


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
        try:
            names.validate_bucket(bucket)
            names.validate_object_name(prefix or "x")
        except InvalidNameError as error:
            raise StagingUriError(
                f"{uri!r} cannot be a staging location ({error}); use e.g. {example!r}"
            ) from None
        return cls(bucket, prefix)

    def object_name(self, sha256: str) -> str:
        return f"{self.prefix}/{sha256}.jsonl" if self.prefix else f"{sha256}.jsonl"

    def uri_for(self, sha256: str) -> str:
        return f"gs://{self.bucket}/{self.object_name(sha256)}"


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes, read in chunks (datasets may be up to 1 GB)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def upload_file(client: VertexClient, path: Path, uri: str, *, skip_existing: bool = False) -> bool:
    """Upload a local file to a `gs://` URI; False when `skip_existing` found the object there."""
    target = names.GcsObjectName.parse(uri)
    if skip_existing and client.object_exists(target):
        return False
    client.upload_object(target, path)
    return True


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
    training_examples: int | None = None  # for the validation set's 30 % rule
    for path_input, uri_input, purpose in sources:
        value = props[path_input]
        if is_unknown(value) or not isinstance(value, str):
            continue  # not known yet, or not a path at all (spec's rules say so)
        if props.get(uri_input) is not None:
            problems.append((path_input, f"set only one of {path_input} (a local file) and {uri_input}"))
            continue
        report = validate_dataset_file(
            Path(str(value)), model or _fallback_model(), purpose, training_examples=training_examples
        )
        if purpose == "training":
            training_examples = report.example_count
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


def upload_local_datasets(client: VertexClient, props: Mapping[str, Any]) -> None:
    """For create: upload each local dataset to the URI check gave it, unless it is already there,
    through the client of the create's own calls."""
    for path_input, uri_input, _ in LOCAL_DATASETS:
        if props.get(path_input) is None:
            continue
        path, uri = Path(str(props[path_input])), str(props[uri_input])
        if not uri.endswith(f"/{file_sha256(path)}.jsonl"):
            raise VertexTuningError(
                f"{path} changed after check hashed it; run `pulumi up` again to tune its new content"
            )
        upload_file(client, path, uri, skip_existing=True)
