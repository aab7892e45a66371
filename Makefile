# MarketMap: `make demo` and `make test` do all set-up on a fresh Debian 12 machine.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

VENV ?= .venv
PY := $(VENV)/bin/python
MARKETMAP := $(VENV)/bin/marketmap
STAMP := $(VENV)/.installed
DEMO_ENTERPRISES ?= 20000
export MARKETMAP_PORT ?= 5000

.PHONY: demo test serve setup db chromium bench bench-quick lint model clean

demo: setup
	export MARKETMAP_DATABASE_URL="$$(scripts/ensure_postgis.sh)"
	$(MARKETMAP) db upgrade
	$(MARKETMAP) demo build --if-empty --enterprises $(DEMO_ENTERPRISES)
	$(MARKETMAP) geocode
	echo "MarketMap: http://127.0.0.1:$(MARKETMAP_PORT)/"
	exec $(MARKETMAP) serve --port $(MARKETMAP_PORT)

test: setup chromium
	export MARKETMAP_DATABASE_URL="$$(scripts/ensure_postgis.sh)"
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	scripts/ensure_python.sh $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

# tipg and pygeoapi are only compared against in benchmarks; pygeoapi also installs a top-level
# `tests` package, so it stays out of the test environment.
$(VENV)/.bench-installed: $(STAMP)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[test,bench]' --config-settings editable_mode=compat
	touch $@

db:
	scripts/ensure_postgis.sh

chromium:
	scripts/ensure_chromium.sh

bench: $(VENV)/.bench-installed
	export MARKETMAP_DATABASE_URL="$$(scripts/ensure_postgis.sh)"
	$(PY) -m bench.run

bench-quick: $(VENV)/.bench-installed
	export MARKETMAP_DATABASE_URL="$$(scripts/ensure_postgis.sh)"
	$(PY) -m bench.run --quick

lint: setup
	$(VENV)/bin/ruff check .

# The models' training needs PyTorch and scikit-learn (the `train` extra); serving needs neither.
$(VENV)/.train-installed: $(STAMP)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[train]' --config-settings editable_mode=compat
	touch $@

model: $(VENV)/.train-installed
	$(PY) -m address_match.train

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
