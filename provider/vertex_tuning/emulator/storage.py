"""Where datasets live on the emulator's disk: under one data directory, never outside it.

`gs://bucket/path` is the file `DIR/bucket/path`. A Vertex AI Multimodal Dataset, named by its
resource name `projects/P/locations/L/datasets/ID`, is the JSONL file `DIR/_datasets/ID.jsonl`
(no bucket can be called `_datasets`: bucket names start with a letter or digit).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

DATASETS_DIR = "_datasets"
DATASET_NAME = re.compile(
    r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/datasets/(?P<id>\d{1,19})"
)


class StorageError(ValueError):
    """A URI the emulator will not read: not `gs://`, malformed, or escaping the data directory."""


class DataDir:
    """Maps Cloud Storage URIs to files below `root`: `gs://b/a/x.jsonl` is `root/b/a/x.jsonl`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def resolve(self, uri: str, *, location: str | None = None) -> Path:
        """The file behind a `gs://` URI or a Multimodal Dataset name (in `location`, when given)."""
        dataset = DATASET_NAME.fullmatch(uri)
        if dataset is not None:
            if location is not None and dataset["location"] != location:
                raise StorageError(
                    f"dataset {uri!r} is in {dataset['location']}; it must be in the job's region {location}"
                )
            path = self.root / DATASETS_DIR / f"{dataset['id']}.jsonl"
            if not path.resolve().is_relative_to(self.root):
                raise StorageError(f"{uri!r} leads outside the emulator's data directory")
            return path
        if not uri.startswith("gs://"):
            raise StorageError(
                f"{uri!r} is not a Cloud Storage URI (gs://bucket/path) or a dataset resource name "
                "(projects/P/locations/L/datasets/ID)"
            )
        # Percent-decoding first means `%2e%2e` is caught as the `..` it stands for.
        decoded = unquote(uri.removeprefix("gs://"))
        if "\\" in decoded or "\x00" in decoded:
            raise StorageError(f"{uri!r} holds a character a Cloud Storage path may not hold")
        segments = decoded.split("/")
        bucket, names = segments[0], segments[1:]
        if not bucket or not names or not all(names):
            raise StorageError(f"{uri!r} must name a bucket and an object: gs://bucket/path/to/object")
        if any(segment in (".", "..") for segment in segments):
            raise StorageError(f"{uri!r} must not contain '.' or '..' segments")
        path = self.root.joinpath(*segments)
        # resolve() follows symlinks, so a link pointing outside the data directory is refused too.
        if not path.resolve().is_relative_to(self.root):
            raise StorageError(f"{uri!r} leads outside the emulator's data directory")
        return path

    def write_text(self, uri: str, text: str) -> Path:
        path = self.resolve(uri)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path
