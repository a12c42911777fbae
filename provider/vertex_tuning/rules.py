"""Single-input rules: each takes a known, non-None input value and returns its canonical form.

A rule raises ValueError with a reason a user can act on; `spec` collects the reasons of every
input at once. The canonical form is what diff compares and the identity hash covers, so
`"FOUR"` vs `4`, `3` vs `3.0` or re-ordered labels are never a change. No I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from . import catalogue, names, wire
from .errors import InvalidNameError
from .settings import API_VERSIONS

ID_LABEL = "pulumi-tuning-id"
"""The label that carries a job's identity hash, so a create can find its own job (decision 2)."""
MAX_USER_LABELS = 63  # Vertex allows 64 labels; the identity label takes one.

_BUCKET = r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]"
_GCS_URI = re.compile(rf"gs://{_BUCKET}/[^\s]+")
LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
LABEL_VALUE = re.compile(r"[a-z0-9_-]{0,63}")
_KMS_KEY = re.compile(
    r"projects/(?P<project>[a-z0-9-]{1,63})/locations/(?P<location>[a-z0-9-]{1,63})"
    r"/keyRings/[A-Za-z0-9_-]{1,63}/cryptoKeys/[A-Za-z0-9_-]{1,63}"
)
_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9][a-z0-9.-]{0,252}\.[a-z]{2,}")
_CHECKPOINT_ID = re.compile(r"[0-9]{1,19}")


def text(value: Any, *, max_length: int | None = None) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string, got {type(value).__name__}")
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"must be at most {max_length} characters, got {len(value)}")
    return value


def non_empty_text(value: Any, *, max_length: int | None = None) -> str:
    checked = text(value, max_length=max_length)
    if not checked.strip():
        raise ValueError("must not be empty")
    return checked


def display_name(value: Any) -> str:
    return non_empty_text(value, max_length=catalogue.MAX_DISPLAY_NAME_LENGTH)


def integer(value: Any) -> int:
    """An int; the host sends every number as a float, so an integral float is an int."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a whole number, got {value!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"must be a whole number, got {value}")
        return int(value)
    return value


def positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a positive number, got {value}")
    return float(value)


def name_rule(validate: Callable[[object], str]) -> Callable[[Any], str]:
    """A rule from one of `names`' validators (project, location, ...)."""

    def rule(value: Any) -> str:
        try:
            return validate(value)
        except InvalidNameError as error:
            raise ValueError(str(error)) from None

    return rule


def pattern_rule(pattern: re.Pattern[str], what: str) -> Callable[[Any], str]:
    """A rule for text that must match `pattern` whole; `what` says what it must be, with an example."""

    def rule(value: Any) -> str:
        found = text(value)
        if not pattern.fullmatch(found):
            raise ValueError(f"must be {what}, got {found!r}")
        return found

    return rule


def base_model(value: Any) -> str:
    model = catalogue.find_base_model(non_empty_text(value))
    if model is None:
        raise ValueError(f"unknown base model {value!r}; use one of {catalogue.known_model_ids()}")
    return model.id


def pre_tuned_model_name(value: Any) -> str:
    try:
        return str(names.ModelName.parse(value))
    except InvalidNameError as error:
        raise ValueError(f"{error} (the tuned_model_name output of another TuningJob)") from None


def checkpoint_id(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(integer(value))
    if not isinstance(value, str) or not _CHECKPOINT_ID.fullmatch(value):
        raise ValueError(f"must be a numeric checkpoint id such as '2', got {value!r}")
    return value


def dataset_uri(value: Any) -> str:
    uri = text(value)
    if not uri.isascii() or not uri.isprintable() or not _GCS_URI.fullmatch(uri):
        raise ValueError(f"must be a Cloud Storage URI such as 'gs://my-bucket/train.jsonl', got {uri!r}")
    return uri


def epoch_count(value: Any) -> int:
    count = integer(value)
    if count < 1:
        raise ValueError(f"must be at least 1, got {count}")
    return count


def adapter_size(value: Any) -> int:
    """The adapter rank from 4, 4.0, "4", "FOUR" or "ADAPTER_SIZE_FOUR"."""
    ranks = ", ".join(str(rank) for rank in catalogue.ADAPTER_RANKS)
    error = ValueError(f"must be one of {ranks} or its name such as 'ADAPTER_SIZE_FOUR', got {value!r}")
    if isinstance(value, str) and not (value.strip().isascii() and value.strip().isdigit()):
        try:
            rank = wire.AdapterSize(
                "ADAPTER_SIZE_" + value.strip().upper().removeprefix("ADAPTER_SIZE_")
            ).rank
        except ValueError:
            raise error from None
    else:
        try:
            rank = integer(int(value) if isinstance(value, str) else value)
        except ValueError:
            raise error from None
    if rank not in catalogue.ADAPTER_RANKS:
        raise error
    return rank


def labels(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a map of strings, got {type(value).__name__}")
    bad: list[str] = []
    for key, item in value.items():
        if not isinstance(key, str) or not LABEL_KEY.fullmatch(key):
            bad.append(
                f"key {key!r} must start with a lowercase letter and hold at most 63 lowercase "
                "letters, digits, '_' or '-'"
            )
        elif key == ID_LABEL:
            bad.append(f"key {ID_LABEL!r} is reserved for the provider's own job identity")
        if not isinstance(item, str) or not LABEL_VALUE.fullmatch(item):
            bad.append(
                f"value {item!r} of {key!r} must hold at most 63 lowercase letters, digits, '_' or '-'"
            )
    if len(value) > MAX_USER_LABELS:
        bad.append(f"at most {MAX_USER_LABELS} labels are allowed, got {len(value)}")
    if bad:
        raise ValueError("; ".join(bad))
    return dict(sorted(value.items()))


kms_key_name = pattern_rule(
    _KMS_KEY,
    "a Cloud KMS key such as 'projects/my-project/locations/us-central1/keyRings/ring/cryptoKeys/key'",
)


def kms_key_location(key: str) -> str | None:
    """The region of a valid KMS key name, None for anything else."""
    match = _KMS_KEY.fullmatch(key)
    return match["location"] if match is not None else None


service_account = pattern_rule(
    _EMAIL, "a service account email such as 'tuner@my-project.iam.gserviceaccount.com'"
)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def api_version(value: Any) -> str:
    if value not in API_VERSIONS:
        raise ValueError(f"must be one of {', '.join(API_VERSIONS)}, got {value!r}")
    return str(value)


def wait_timeout_minutes(value: Any) -> float:
    minutes = positive_number(value)
    return int(minutes) if minutes.is_integer() else minutes


def canonical_json_value(value: Any) -> Any:
    """Any JSON value with integral floats as ints and maps sorted, so `3` and `3.0` agree.

    NaN and the infinities are refused: NaN differs from itself, so a diff would see a change on
    every run and retune, and JSON has no spelling for either."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must not hold NaN or an infinity (got {value}); use a string such as 'nan'")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): canonical_json_value(item) for key, item in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [canonical_json_value(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(
        f"must be a JSON value (string, number, boolean, list or map), got {type(value).__name__}"
    )
