# The two quickstart commands are `make demo` and `make test`; both install first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

install: $(STAMP)

# Reinstall only when the project's metadata changed: a second `make install` is a no-op.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=python3"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/repatria demo

# The whole suite: lint, format and types first (seconds), then every test.
test: lint
	$(BIN)/python -m pytest -q

# Lint, format and types: ruff (rules in pyproject.toml) and mypy (strict on repatria.kinship).
lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/likelihood.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
