# The project's virtual environment lives in .venv; Pulumi.yaml points the provider host at it.
# The Pulumi CLI lives in a cache outside the repository (scripts/pulumi_cli.py says where and how).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed
# The directory holding `pulumi`, found, installed or built on first use.
PULUMI_CLI = $(shell $(PYTHON) scripts/pulumi_cli.py)

.PHONY: venv pulumi test lint up bench emulator clean

venv: $(TEST_STAMP)

# What running needs (make up, make emulator): the package and its dependencies.
$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

# What testing needs on top: the test and lint tools, Google's clients as oracles.
$(TEST_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

# Prints, as its last line, the directory holding `pulumi` (a build takes 10-25 minutes the first time).
pulumi:
	@$(PYTHON) scripts/pulumi_cli.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	PULUMI_CLI_DIR="$(PULUMI_CLI)" $(BIN)/pytest -q -n 2 --dist loadgroup

# From a fresh clone to a tuned model's answer against the local emulator (scripts/up.py says how).
# The CLI comes first, so that a machine without one stops before anything is installed.
up:
	@cli="$$($(PYTHON) scripts/pulumi_cli.py)" && $(MAKE) --no-print-directory $(RUN_STAMP) && \
		PULUMI_CLI_DIR="$$cli" $(BIN)/python scripts/up.py

emulator: $(RUN_STAMP)
	$(BIN)/vertex-tuning emulator

# Measurements against the emulator, and dataset validation of a generated 1 GB file (a few
# minutes); tables on stdout, JSON in build/bench/.
bench: venv
	$(BIN)/python benchmarks/polling_cost.py --json build/bench/polling_cost.json
	$(BIN)/python benchmarks/steady_state.py --json build/bench/steady_state.json
	$(BIN)/python benchmarks/host_concurrency.py --json build/bench/host_concurrency.json
	$(BIN)/python benchmarks/host_memory.py --json build/bench/host_memory.json
	$(BIN)/python benchmarks/emulator_get_rps.py
	PULUMI_CLI_DIR="$(PULUMI_CLI)" $(BIN)/python benchmarks/engine_concurrency.py --json build/bench/engine_concurrency.json
	$(BIN)/python benchmarks/dataset_validation.py --json build/bench/dataset_validation.json

# Everything the targets above create: the virtualenv, the emulator's data, the local Pulumi state,
# CLI and stack file of `make up`, benchmark output, and the tools' caches.
clean:
	rm -rf $(VENV) .emulator .pulumi-state .pulumi Pulumi.dev.yaml build dist provider/*.egg-info \
		.pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
