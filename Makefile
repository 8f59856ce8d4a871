# One command each: `make demo` opens the demo dashboard, `make test` runs everything CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,mcp,web]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)  # exec: make is not left between the dashboard and its terminal's hang-up
	exec $(BIN)/catalyst-tui demo

lint: $(STAMP)
	$(BIN)/ruff check catalyst_tui tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/python -m pytest -q -rfEs  # -rfEs: the failures, errors and why each skipped test was skipped

test: lint unit

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b --quick || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
