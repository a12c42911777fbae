"""Shared fixtures: each lives in `tests/support/`, next to the code it drives."""

# The fault scenarios' table of jobs held and API calls (tests/host), printed once per
# session; it lives here because under pytest-xdist only this conftest is loaded by the controller.
from support.ledger import pytest_terminal_summary  # noqa: F401
