# The README's commands. Each target sets up .venv itself (core + every in-repo plugin, editable).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(wildcard plugins/*))
STAMP := $(VENV)/.installed-stamp
INSTALL_TARGETS := -e '.[test]' $(foreach plugin,$(PLUGINS),-e '$(plugin)[test]')

.PHONY: test demo install clean

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(BIN)/pip install --quiet $(INSTALL_TARGETS)
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/python examples/demo.py

clean:
	rm -rf $(VENV) out
