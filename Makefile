# Two commands do all the set-up on a fresh machine:
#   make plan   - venv + install + default database + `parklink plan` (writes out/plan.json, out/plan.html)
#   make test   - venv with dev + spark extras + system packages (PostgreSQL, Chromium, a JRE)
#                 + lint + types + tests (then the DuckDB = Spark local[2] equality test)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: plan test venv venv-dev serve bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

plan: venv
	$(BIN)/parklink db init
	$(BIN)/parklink plan --out out
	@echo "Open out/plan.html, or run '$(BIN)/parklink --help' for more commands."
	@echo "Web app: '$(BIN)/parklink users add ADMIN --role programme_office', then '$(BIN)/parklink serve' -> http://127.0.0.1:8000/"

test: venv-dev
	bash scripts/run-tests.sh $(PYTEST_ARGS)

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
