# Two commands: `make demo` runs Heartbeat with demo data, `make test` runs the suite.
# Both create the virtualenv and install only when pyproject.toml changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test serve clean-data

demo: $(VENV)/.installed
	$(BIN)/heartbeat demo

serve: $(VENV)/.installed
	$(BIN)/heartbeat serve

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Heartbeat needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	@touch $@ $(VENV)/.installed

clean-data:
	rm -rf .heartbeat
