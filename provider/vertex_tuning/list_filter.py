"""The AIP-160 list-filter grammar (google.aip.dev/160), shared by the CLI and the emulator.

Comparisons `field OP value` with `= != < <= > >= :` (has), joined by `AND`, `OR` (which binds
tighter than AND, as AIP-160 says), juxtaposition (AND), `NOT` or `-`, and parentheses. What a
field means, and which fields exist, is the caller's: it passes `comparison` (and may check a
field as soon as it is read); syntax problems come back as `FilterSyntaxError` for the caller to
word in its own voice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

R = TypeVar("R")
Predicate = Callable[[R], bool]

TOKEN = re.compile(r'\s*(\(|\)|<=|>=|!=|=|<|>|:|"(?:[^"\\]|\\.)*"|[^\s()=<>!:"]+)')
OPERATORS = ("=", "!=", "<", "<=", ">", ">=", ":")
Problem = Literal["unreadable", "unexpected", "ends", "unclosed", "operator", "no_operator"]


@dataclass
class FilterSyntaxError(Exception):
    """`unreadable`: `token` is the rest that cannot be read; `unexpected`: `token` is left over;
    `ends`: the filter stops mid-expression; `unclosed`: a `(` is not closed; `operator`: `field`
    is followed by `token`, not a comparison; `no_operator`: by nothing."""

    problem: Problem
    text: str
    token: str | None = None
    field: str | None = None

    def message(self, templates: Mapping[Problem, str]) -> str:
        """The caller's wording: a `str.format` template per problem ({text}, {token!r}, {field})."""
        return templates[self.problem].format(text=self.text, token=self.token, field=self.field)


def tokens(text: str) -> list[str]:
    found: list[str] = []
    position = 0
    while position < len(text.rstrip()):
        match = TOKEN.match(text, position)
        if match is None:
            raise FilterSyntaxError("unreadable", text, text[position:])
        found.append(match[1])
        position = match.end()
    return found


def parse(
    text: str,
    comparison: Callable[[str, str, str], Predicate[R]],
    check_field: Callable[[str], None] = lambda field: None,
) -> Predicate[R]:
    """A predicate for `text`; `comparison(field, operator, raw value token)` builds each leaf."""
    found = tokens(text)
    if not found:
        return lambda resource: True
    parser = _Parser(found, text, comparison, check_field)
    predicate = parser.conjunction()
    if parser.position < len(found):
        raise FilterSyntaxError("unexpected", text, found[parser.position])
    return predicate


class _Parser(Generic[R]):
    def __init__(
        self,
        tokens: list[str],
        text: str,
        comparison: Callable[[str, str, str], Predicate[R]],
        check_field: Callable[[str], None],
    ) -> None:
        self.tokens, self.text, self.position = tokens, text, 0
        self.comparison, self.check_field = comparison, check_field

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise FilterSyntaxError("ends", self.text)
        self.position += 1
        return token

    def conjunction(self) -> Predicate[R]:
        """`a AND b`, or `a b`: AND is the loosest binding."""
        parts = [self.disjunction()]
        while self.peek() not in (None, ")"):
            if self.peek() == "AND":
                self.take()
            parts.append(self.disjunction())
        return lambda resource: all(part(resource) for part in parts)

    def disjunction(self) -> Predicate[R]:
        parts = [self.negation()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.negation())
        return lambda resource: any(part(resource) for part in parts)

    def negation(self) -> Predicate[R]:
        token = self.peek()
        if token in ("NOT", "-"):
            self.take()
        elif token is not None and token.startswith("-") and len(token) > 1:
            self.tokens[self.position] = token[1:]
        else:
            return self.factor()
        inner = self.negation()
        return lambda resource: not inner(resource)

    def factor(self) -> Predicate[R]:
        if self.peek() == "(":
            self.take()
            inner = self.conjunction()
            if self.take() != ")":
                raise FilterSyntaxError("unclosed", self.text)
            return inner
        field = self.take()
        self.check_field(field)
        operator = self.peek()
        if operator not in OPERATORS:
            raise FilterSyntaxError("operator" if operator else "no_operator", self.text, operator, field)
        self.take()
        return self.comparison(field, operator, self.take())
