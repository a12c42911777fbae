"""Shared fixtures: each lives in `tests/support/`, next to the code it drives."""
