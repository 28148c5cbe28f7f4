# Developer and CI entry points. Each target sets up what it needs first:
# .venv from requirements-dev.txt plus the project in editable mode, and
# .venv-sam with aws-sam-cli, which pins its own boto3 and so has a venv of its own.
# A stamp file named after a checksum of the requirements files makes a repeated
# run skip the install until one of those files changes.

PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
SAM_CLI_VERSION := 1.170.0
BIN := $(VENV)/bin

REQUIREMENTS := requirements.txt requirements-dev.txt pyproject.toml
REQUIREMENTS_SUM := $(shell cat $(REQUIREMENTS) | cksum | cut -d ' ' -f 1)
STAMP := $(VENV)/.installed-$(REQUIREMENTS_SUM)
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)

# `make run PORT=8080 MOTO_PORT=0` picks other ports; 0 means any free port.
PORT ?= 3000
MOTO_PORT ?= 5000

export SAM_CLI_TELEMETRY := 0

.PHONY: setup run test lint pytest evaluate bench build clean

setup: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet -e .
	rm -f $(VENV)/.installed-*
	touch $@

$(SAM_STAMP):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION)
	rm -f $(SAM_VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/python -m local.server --port $(PORT) --moto-port $(MOTO_PORT)

lint: $(STAMP) $(SAM_STAMP)
	$(BIN)/ruff check --extend-exclude $(SAM_VENV) .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/python scripts/openapi.py --check
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1

# pytest exits with 5 when it collected no test; make treats that as a failure like any other.
# The end-to-end tests run in a process of their own: the integration tests' mock_aws()
# resets moto's in-process backends, which the local service of the e2e tests shares.
pytest: $(STAMP)
	$(BIN)/python -m pytest --ignore=tests/e2e
	$(BIN)/python -m pytest tests/e2e

test: lint pytest

evaluate: $(STAMP)
	$(BIN)/python scripts/evaluate_classifier.py

bench: $(STAMP)
	@set -e; found=0; for script in scripts/bench_*.py; do \
		if [ -f "$$script" ]; then found=1; echo "== $$script"; $(BIN)/python "$$script"; fi; \
	done; \
	if [ "$$found" = 0 ]; then echo "no benchmark scripts (scripts/bench_*.py) found" >&2; exit 1; fi

# Builds the Lambda artefacts into .aws-sam for `sam deploy`; needs python3.12 on PATH
# (Lambda's runtime), for example from pyenv.
build: $(SAM_STAMP)
	$(SAM_VENV)/bin/sam build --template template.yaml

clean:
	rm -rf $(VENV) $(SAM_VENV) .local .pytest_cache .aws-sam
