# The README's commands. Each target sets up .venv itself (core + every in-repo plugin, editable).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml)))
STAMP := $(VENV)/.installed-stamp
INSTALL_TARGETS := -e '.[test]' $(foreach plugin,$(PLUGINS),-e '$(plugin)[test]')

.PHONY: test demo serve browser install clean docs

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml $(wildcard plugins/*/pyproject.toml)
	$(BIN)/pip install --quiet $(INSTALL_TARGETS)
	touch $(STAMP)

test: $(STAMP) browser
	$(BIN)/python -m pytest

# Chromium for the browser test of invgen serve (installed when missing and possible; else that test skips)
browser:
	@bash scripts/install_chromium.sh

# the documentation site (user guide, plugin guide, API reference from the docstrings), built strictly: site/index.html
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# the local page on the embedded model: http://127.0.0.1:7860
serve: $(STAMP)
	$(BIN)/invgen serve

# stylegan2-mnist32 defaults chosen on training digits (scripts/tune_mnist32.py; see its model card)
DEMO_SOLVER := --preset pixel --steps 200 --lr 0.03 --device cpu --overwrite

demo: $(STAMP)
	$(BIN)/invgen run --generator stylegan2-mnist32 --forward downsample:factor=4 \
		--input examples/holdout_1950_digit3.png --simulate --output out/demo $(DEMO_SOLVER)
	$(BIN)/invgen run --generator stylegan2-mnist32 --forward center-mask:fraction=0.25 \
		--input examples/holdout_2950_digit5.png --simulate --output out/demo-inpaint $(DEMO_SOLVER)
	@echo "side-by-side images: out/demo/comparison.png and out/demo-inpaint/comparison.png"

clean:
	rm -rf $(VENV) out site
