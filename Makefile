# Two commands on a fresh clone: `make demo` and `make test`. Both build .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kwali-installed

# Nothing leaves the machine: Prefect phones home unless both are set.
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: setup system-deps demo test bench bench-quick clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and alone: pip takes the CPU wheel from this machine's disk; resolved together
	# with the rest it would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	touch $(STAMP)

system-deps:
	bash scripts/system-deps.sh

demo: setup
	$(BIN)/kwali run corpora/demo --out reports/demo

test: setup system-deps
	$(BIN)/python -m pytest

# Every benchmark prints ratios measured in one run. A missed target exits non-zero; the leading
# '-' lets the remaining benchmarks run anyway (make lists the ones that failed). The whole set
# takes 30-45 minutes on two cores; `make bench-quick` runs the two fast ones.
bench: setup
	-$(BIN)/python bench/annotate.py
	-$(BIN)/python bench/quality.py --method all
	-$(BIN)/python bench/orchestration.py
	-$(BIN)/python bench/incremental.py
	-$(BIN)/python bench/embed.py
	-$(BIN)/python bench/topics.py
	-$(BIN)/python bench/review_load.py
	-$(BIN)/python bench/review_load.py --db postgresql

bench-quick: setup
	$(BIN)/python bench/annotate.py
	$(BIN)/python bench/quality.py

clean:
	rm -rf reports/demo .pytest_cache
