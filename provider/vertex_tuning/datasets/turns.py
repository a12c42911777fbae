"""What every dataset format shares: one problem per example, alternating roles, and the example's cost."""

from __future__ import annotations

from .report import Example, Media, Turn
from .tokens import estimate_tokens


class InvalidExample(Exception):
    """One problem with one example; raised deep, reported with the example's line."""


def check_roles(roles: list[str]) -> None:
    if roles[0] != "user":
        raise InvalidExample("the first turn must have role 'user'")
    for index in range(1, len(roles)):
        if roles[index] == roles[index - 1]:
            raise InvalidExample(
                f"contents[{index}] repeats role {roles[index]!r}; roles must alternate user/model"
            )
    if roles[-1] != "model":
        raise InvalidExample("the last turn must have role 'model' (it is what the model learns to answer)")


def build_example(number: int, system: str, turns: list[Turn], media: Media) -> Example:
    # Counted once per side: whitespace between texts adds no token, so the sums are the same.
    user: list[str] = [system]
    answers: list[str] = []
    characters = len(system)
    for role, text in turns:
        (user if role == "user" else answers).append(text)
        characters += len(text)
    input_tokens = estimate_tokens(" ".join(user)) + media.image_tokens
    output_tokens = estimate_tokens(" ".join(answers))
    return Example(
        number, system, tuple(turns), input_tokens, output_tokens, characters, media.counts.images, media
    )
