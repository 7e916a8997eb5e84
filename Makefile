# Two commands do everything on a fresh Debian machine: `make demo`, `make test`.
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench system-deps clean

$(STAMP): pyproject.toml deploy/install-system-deps.sh
	bash deploy/install-system-deps.sh
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

system-deps:
	bash deploy/install-system-deps.sh

demo: $(STAMP)
	$(BIN)/heatwatch demo $(DEMO_ARGS)

# -n auto: one pytest worker per core (pytest-xdist); --dist loadfile keeps a file's tests on one worker, so a
# module-scoped fixture (a simulated fleet, a learned model, a browser) is built once, not once per worker.
# --durations=15: the slowest tests, so drift shows in every run. ruff check goes first ([tool.ruff] in
# pyproject.toml; under a second): a lint finding fails at once, not after the suite.
test: $(STAMP)
	$(BIN)/ruff check --no-cache .
	$(BIN)/python -m pytest -q -n auto --dist loadfile --durations=15 $(TEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/sim_speed.py

clean:
	rm -rf $(VENV) *.egg-info
