"""Cloud Storage's JSON API object resource (`storage#object`): what an upload or a metadata read answers.

The client keeps what an upload answers and the emulator writes it. Cloud Storage is not a proto3
service, but its JSON follows the same rules here: camelCase, 64-bit numbers as strings, RFC 3339
times. Every field is an optional extra, so nothing Cloud Storage sends can fail an upload that
has already succeeded.
"""

from __future__ import annotations

from typing import Annotated

from .proto import Int64, LenientTimestamp, OptionalExtra, WireModel


class StorageObject(WireModel):
    """An object's metadata, in the order Cloud Storage lists it."""

    kind: Annotated[str | None, OptionalExtra] = None
    id: Annotated[str | None, OptionalExtra] = None
    name: Annotated[str | None, OptionalExtra] = None
    bucket: Annotated[str | None, OptionalExtra] = None
    generation: Annotated[Int64 | None, OptionalExtra] = None
    size: Annotated[Int64 | None, OptionalExtra] = None
    md5_hash: Annotated[str | None, OptionalExtra] = None
    content_type: Annotated[str | None, OptionalExtra] = None
    time_created: LenientTimestamp = None
    updated: LenientTimestamp = None
