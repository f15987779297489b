# Two entry points for a fresh machine with Python 3.11+: `make plan` and `make test`.
# Each creates .venv on first use and reinstalls when a requirements file changes.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STACK  ?= dev
OUT    ?= out
# More options of `python -m components plan`, e.g. PLAN_ARGS='--config cluster.name=x --policy-pack-config p.json'
PLAN_ARGS ?=

.PHONY: plan plan-all test lint clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt pyproject.toml
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# checkov cannot share the project's venv (it pins an older packaging than pulumi accepts).
.venv-checkov/.installed: requirements-checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --upgrade pip
	.venv-checkov/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

## plan: the offline plan of $(STACK): tree on stdout, JSON, manifests and graph under $(OUT)/ (no cloud, no CLI)
plan: $(VENV)/.runtime
	$(PY) -m components plan --stack $(STACK) --json $(OUT)/plan-$(STACK).json \
	    --manifests $(OUT)/manifests/$(STACK) --graph $(OUT)/graph-$(STACK).mmd $(PLAN_ARGS)

## plan-all: the offline plan of every stack under stacks/, failing on invalid settings (1) or violations (2)
plan-all: $(VENV)/.runtime
	@set -e; for file in stacks/Pulumi.*.yaml; do \
	    stack=$${file#stacks/Pulumi.}; stack=$${stack%.yaml}; \
	    $(PY) -m components plan --stack $$stack --quiet --json $(OUT)/plan-$$stack.json \
	        --manifests $(OUT)/manifests/$$stack --graph $(OUT)/graph-$$stack.mmd $(PLAN_ARGS); \
	done

## test: the test suite (unit, component, plan, policy and independent-validator tests)
test: $(VENV)/.dev .venv-checkov/.installed
	$(PY) -m pytest

## lint: ruff and mypy
lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .venv-checkov $(OUT)
