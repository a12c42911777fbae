"""Token estimates for stats and limits: one token per word or punctuation mark, cheaply counted."""

from __future__ import annotations

import re

# Roughly one token per word or punctuation mark: close to Gemini's ~4 characters per token on
# English text, and cheap. It is an estimate for stats and limits, not a billing figure.
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _ascii_classes() -> bytes:
    """Each ASCII byte as `_TOKEN` sees it: w (word), space, or p (a punctuation mark)."""

    def kind(byte: int) -> int:
        char = chr(byte)
        if re.fullmatch(r"\w", char):
            return ord("w")
        return ord(" ") if re.fullmatch(r"\s", char) else ord("p")

    return bytes(kind(byte) for byte in range(128)) + b"p" * 128


_ASCII_CLASSES = _ascii_classes()


def estimate_tokens(text: str) -> int:
    """A token estimate: one per word or punctuation mark (see `_TOKEN`).

    ASCII text (nearly all of it) is counted with byte operations, several times faster than the
    regex on large datasets and equal to it by construction (the classes come from `_TOKEN`'s)."""
    if not text.isascii():
        return len(_TOKEN.findall(text))
    classes = text.encode("ascii").translate(_ASCII_CLASSES)
    word_starts = classes.count(b" w") + classes.count(b"pw") + classes.startswith(b"w")
    return classes.count(b"p") + word_starts


def truncate_to_tokens(text: str, limit: int) -> str:
    """The prefix of `text` holding its first `limit` tokens, as `estimate_tokens` counts them."""
    if limit <= 0:
        return ""
    for index, match in enumerate(_TOKEN.finditer(text)):
        if index == limit - 1:
            return text[: match.end()]
    return text
