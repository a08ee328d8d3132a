# Two commands on a fresh machine: `make demo` and `make test`.
# Each target installs only what it needs into .venv, once (a stamp per set of extras):
# the demo needs the package alone, the service adds Flask, the suite adds the
# development, benchmark (its smoke test) and distributed (its Dask test) tools.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

EXTRAS_runtime :=
EXTRAS_service := [service]
EXTRAS_bench   := [bench]
EXTRAS_test    := [service,bench,distributed,dev]

.PHONY: install demo test lint typecheck bench bench-service serve clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.$(EXTRAS_$*)'
	touch $@

install: $(VENV)/.installed-test

demo: $(VENV)/.installed-runtime
	$(BIN)/matchcore demo --report demo-report.html

# Headless Chromium for the report's browser tests (Debian's package; needs root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@chromium --version

test: browser $(VENV)/.installed-test
	$(BIN)/ruff check src service tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src service tests benchmarks examples
	$(BIN)/ruff format --check src service tests benchmarks examples

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks

bench-service: $(VENV)/.installed-service
	$(BIN)/python -m benchmarks.load_service

serve: $(VENV)/.installed-service
	$(BIN)/python -m service.dev

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
