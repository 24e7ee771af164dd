# trm-bench: every target installs what it needs first (idempotent, fast when nothing changed).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# torch is pinned: 2.13.0 installs a CPU build from local disk; an unpinned torch pulls CUDA.
TORCH  := torch==2.13.0

# Where runs and reports go. `make bench` fills reports/ (committed) from results/ (a cache:
# finished runs are never recomputed, so an interrupted `make bench` resumes where it stopped).
RESULTS ?= results
REPORTS ?= reports
QUICK   ?= results/quick
JOBS    ?= 2

.PHONY: install test bench bench-quick bench-thorough report perf data tune lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(TORCH)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev,distributed]"
	$(PY) -c "import torch, gymnasium, stable_baselines3, sb3_contrib, optuna, pandas, seaborn, pytest, hypothesis"
	touch $(STAMP)

test: install
	$(PY) -m pytest

# Every table of both sources at their budgets (bench/specs/, profile full), then the reports.
bench: install
	mkdir -p $(REPORTS)
	$(VENV)/bin/bench data > $(REPORTS)/datasets.md
	$(VENV)/bin/bench perf envs > $(REPORTS)/perf-envs.md
	$(VENV)/bin/bench table --profile full --jobs $(JOBS) --results $(RESULTS) --out $(REPORTS)

# The headline cells at 10 seeds (the tables with a thorough profile), pages and records in
# $(REPORTS)/thorough beside the full ones. Hours on 2 cores; resumable like make bench (a
# finished run is never recomputed).
bench-thorough: install
	mkdir -p $(REPORTS)/thorough
	$(VENV)/bin/bench table --profile thorough --jobs $(JOBS) --results $(RESULTS) --out $(REPORTS)/thorough --records $(REPORTS)/thorough/records

# The same at tiny budgets and one seed, into $(QUICK) (CI runs it into a temporary folder).
bench-quick: install
	mkdir -p $(QUICK)/reports
	$(VENV)/bin/bench data --env trm/Sudoku4x4-Easy-v0 trm/Sudoku4x4-Hard-v0 --episodes-per-puzzle 1 > $(QUICK)/reports/datasets.md
	$(VENV)/bin/bench perf envs --seconds 0.2 > $(QUICK)/reports/perf-envs.md
	$(VENV)/bin/bench table --profile quick --jobs $(JOBS) --results $(QUICK) --out $(QUICK)/reports

# Rewrite the reports from the stored records (no training).
report: install
	$(VENV)/bin/bench report --profile full --results $(RESULTS) --out $(REPORTS)

# Tune every study the tables' learned rows read (`bench tune --plan` lists them, derived from
# bench/specs/*.yaml): one setting (env id, masking, rules, backbone, the columns' budget) at a time, the
# same trials per agent (30 on 4x4 and mazes, 20 on 9x9), 2 seeds per trial. First the settings
# `make bench` runs, then those only `make bench-thorough` adds (TUNE_PROFILE=full: the first
# alone), so an interrupted run has served the full tables first. Resumable: a rerun continues
# the studies in sweeps/studies.db and never reruns a finished trial. Its time: README, Tuning.
TUNE_PROFILE ?= thorough
tune: install
	$(VENV)/bin/bench tune --all --profile $(TUNE_PROFILE) --jobs $(JOBS)
	$(VENV)/bin/bench tune --report

perf: install
	$(VENV)/bin/bench perf envs

data: install
	$(VENV)/bin/bench data

lint: install
	$(VENV)/bin/ruff check bench agents envs sweeps tests

clean:
	rm -rf $(VENV) .pytest_cache
