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

# Measurements against the emulator, and dataset validation of a generated 1 GB file (a few
# minutes); tables on stdout, JSON in build/bench/.
bench: venv
	$(BIN)/python benchmarks/polling_cost.py --json build/bench/polling_cost.json
	$(BIN)/python benchmarks/steady_state.py --json build/bench/steady_state.json
	$(BIN)/python benchmarks/host_concurrency.py --json build/bench/host_concurrency.json
	$(BIN)/python benchmarks/host_memory.py --json build/bench/host_memory.json
	$(BIN)/python benchmarks/emulator_get_rps.py
	$(BIN)/python benchmarks/dataset_validation.py --json build/bench/dataset_validation.json

clean:
	rm -rf $(VENV) .emulator .pulumi-state
