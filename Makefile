# trm-bench: every target installs what it needs first (idempotent, fast when nothing changed).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# torch is pinned: 2.13.0 installs a CPU build from local disk; an unpinned torch pulls CUDA.
TORCH  := torch==2.13.0

.PHONY: install test bench bench-quick perf data tune lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(TORCH)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev,distributed]"
	$(PY) -c "import torch, gymnasium, stable_baselines3, sb3_contrib, optuna, pandas, seaborn, pytest, hypothesis"
	touch $(STAMP)

test: install
	$(PY) -m pytest

# Until the table runner lands, `bench` regenerates what is measurable: the dataset cards
# (with the random-masked floors) and the env throughput.
bench: install
	$(VENV)/bin/bench data > reports/datasets.md
	$(VENV)/bin/bench perf envs > reports/perf-envs.md

bench-quick: install
	$(VENV)/bin/bench data --env trm/Sudoku4x4-Easy-v0 trm/Sudoku4x4-Hard-v0 --episodes-per-puzzle 1
	$(VENV)/bin/bench perf envs --seconds 0.2

# Re-tune every baseline the tables use (resumable: rerunning continues the SQLite studies).
tune: install
	$(VENV)/bin/bench tune --algo ppo a2c dqn --env trm/Sudoku4x4-Easy-v0 --trials 30 --steps 5000 --jobs 2
	$(VENV)/bin/bench tune --algo ppo a2c dqn --env trm/Sudoku4x4-Hard-v0 --trials 20 --steps 20000 --jobs 2
	$(VENV)/bin/bench tune --algo ppo a2c dqn --env trm/Sudoku9x9-v0 --trials 20 --steps 10000 --jobs 2
	$(VENV)/bin/bench tune --algo ppo a2c dqn --report

perf: install
	$(VENV)/bin/bench perf envs

data: install
	$(VENV)/bin/bench data

lint: install
	$(PY) -m compileall -q bench agents envs sweeps tests

clean:
	rm -rf $(VENV) .pytest_cache
