# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench bench-service serve clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[service,bench,distributed,dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/matchcore demo --report demo-report.html

# Headless Chromium for the report's browser tests (Debian's package; needs root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@chromium --version

test: $(STAMP)
	$(BIN)/ruff check src service tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src service tests benchmarks examples
	$(BIN)/ruff format --check src service tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

bench-service: $(STAMP)
	$(BIN)/python -m benchmarks.load_service

serve: $(STAMP)
	$(BIN)/python -m service.dev

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
