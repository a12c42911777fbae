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

clean:
	rm -rf $(VENV) .emulator .pulumi-state
