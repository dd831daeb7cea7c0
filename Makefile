# The README's two commands: `make run` and `make test`. Both work from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TEST_WORKERS ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install db-upgrade package bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

## Start the bot (development mode, SQLite in ./data) and the Agents Playground; Ctrl-C stops both.
run: install
	PEERSPACE_DEV=1 $(PY) -m bot db upgrade
	PEERSPACE_DEV=1 $(PY) -m bot.devserver

## Run the whole suite (PostgreSQL and browser tests run when available; CI requires them).
# Two workers: the machine CI runs on has two cores, and most tests wait on their own bot and database.
test: install
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

db-upgrade: $(VENV)/.installed
	$(PY) -m bot db upgrade

package: $(VENV)/.installed
	$(PY) -m bot package --out dist

## Benchmarks (by hand): each prints its figures and verdict; a miss does not stop the others.
bench: install
	-$(PY) bench/turns.py
	-$(PY) bench/fanout.py
	-$(PY) bench/themes.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache
