# The project's virtual environment lives in .venv; Pulumi.yaml points the provider host at it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint up bench emulator clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q -n 2 --dist loadgroup

# From a fresh clone to a tuned model's answer against the local emulator (scripts/up.py says how).
up: venv
	$(BIN)/python scripts/up.py

emulator: venv
	$(BIN)/vertex-tuning emulator

# Issue 5's measurements against the emulator (a few minutes); tables on stdout, JSON in build/bench/.
bench: venv
	$(BIN)/python benchmarks/polling_cost.py --json build/bench/polling_cost.json
	$(BIN)/python benchmarks/steady_state.py --json build/bench/steady_state.json
	$(BIN)/python benchmarks/host_concurrency.py --json build/bench/host_concurrency.json
	$(BIN)/python benchmarks/host_memory.py --json build/bench/host_memory.json
	$(BIN)/python benchmarks/emulator_get_rps.py

# Everything the targets above create: the virtualenv, the emulator's data, the local Pulumi state,
# CLI and stack file of `make up`, benchmark output, and the tools' caches.
clean:
	rm -rf $(VENV) .emulator .pulumi-state .pulumi Pulumi.dev.yaml build dist provider/*.egg-info \
		.pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
