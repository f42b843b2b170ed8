# The two commands a new user types: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: demo test lint typecheck unit system-deps bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Debian packages the end-to-end tests use: Prometheus (promtool), Alertmanager
# (amtool) and Chromium (the map page in a real browser, the PDF report).
SYSTEM_PACKAGES := prometheus prometheus-alertmanager chromium
system-deps:
	@if ! command -v promtool >/dev/null 2>&1 || ! command -v amtool >/dev/null 2>&1 \
	    || ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else echo "missing: sudo apt-get install $(SYSTEM_PACKAGES)"; exit 1; fi; fi

demo: $(BIN)/.installed
	$(BIN)/tianyan demo

lint: $(BIN)/.installed
	$(BIN)/ruff check monitor site_map tests bench dashboards
	$(BIN)/ruff format --check monitor site_map tests bench dashboards

typecheck: $(BIN)/.installed
	$(BIN)/mypy

unit: $(BIN)/.installed
	$(BIN)/pytest -q

test: system-deps lint typecheck unit

bench: $(BIN)/.installed
	$(BIN)/python bench/poll_cycle.py

clean:
	rm -rf $(VENV) demo-data .pytest_cache .mypy_cache .ruff_cache
