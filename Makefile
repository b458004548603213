# cchc-kit — `make` lists the targets. Everything installs into .venv from nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cchc-kit needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cchc-kit)" >/dev/null
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install the kit with its pinned dependencies

brief: $(STAMP) ## the main job: the briefing of the bundled appendix (HTML in outputs/)
	$(VENV)/bin/cchc brief --year 2022 --unit vinh-chau

brief-all: $(STAMP) ## every unit and year found under data/raw, plus comparisons and trends
	$(VENV)/bin/cchc brief --all

demo: $(STAMP) ## synthetic Cần Thơ communes, wards, departments (Q4 2025, Q1-Q2 2026) in data/demo, briefings in outputs/demo
	rm -rf data/demo
	$(VENV)/bin/cchc demo-data --province "Cần Thơ" --periods 2025-Q4,2026-Q1,2026-Q2 --out data/demo
	$(VENV)/bin/cchc brief --all --data data/demo --out outputs/demo

demo-2022: $(STAMP) ## the 2022 district demo: 12 fictional units x 3 years in data/demo-2022, briefings in outputs/demo-2022
	$(VENV)/bin/cchc demo-data --units 12 --years 2021,2022,2023 --out data/demo-2022
	$(VENV)/bin/cchc brief --all --data data/demo-2022 --out outputs/demo-2022

test: $(STAMP) ## lint, unit tests and the notebooks under nbval
	$(VENV)/bin/ruff check cchc_tools tests $(wildcard benchmarks)
	$(PY) -m pytest tests
	$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

test-fast: $(STAMP) ## lint and the tests not marked slow (while working; `make test` runs everything)
	$(VENV)/bin/ruff check cchc_tools tests $(wildcard benchmarks)
	$(PY) -m pytest tests -m "not slow"

goldens: $(STAMP) ## re-run the notebooks, keep only the golden (NBVAL_CHECK_OUTPUT) outputs
	$(PY) -m cchc_tools.goldens

fuzz: $(STAMP) ## 10,000 mutated text and 600 Word/Excel appendices against a strict reader, 400 hostile projects (~25 min)
	$(PY) -m tests.fuzz_appendix --files 10000
	$(MAKE) fuzz-project

fuzz-project: $(STAMP) ## 400 hostile projects (cchc.toml, rules, targets, forms, Word template): refused cleanly, exit 2
	$(PY) -m tests.fuzz_project --cases 400

bench: $(STAMP) ## benchmarks, written to outputs/bench/latest.json
	$(PY) -m benchmarks.run

lab: $(STAMP) ## JupyterLab on the notebooks
	$(VENV)/bin/jupyter lab notebooks $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

EXPLORE_PORT ?= 8866
EXPLORE_DATA ?=
EXPLORE_YEAR ?=
EXPLORE_PERIOD ?=
EXPLORE_LEVEL ?=
EXPLORE_UNIT ?=
EXPLORE_HOSTS ?=
EXPLORE_KERNELS ?= 4
explore: $(STAMP) ## the explorer as a web page for colleagues, no code shown: http://127.0.0.1:8866 (Voilà, offline)
	@echo "Mở trình duyệt tại http://127.0.0.1:$(EXPLORE_PORT)/ (Ctrl-C để dừng)"
	CCHC_EXPLORE_DATA="$(EXPLORE_DATA)" CCHC_EXPLORE_YEAR="$(EXPLORE_YEAR)" CCHC_EXPLORE_PERIOD="$(EXPLORE_PERIOD)" \
	CCHC_EXPLORE_LEVEL="$(EXPLORE_LEVEL)" CCHC_EXPLORE_UNIT="$(EXPLORE_UNIT)" \
	$(PY) -m cchc_tools.workbench.serve notebooks/explore.ipynb --port=$(EXPLORE_PORT) \
		--max-kernels=$(EXPLORE_KERNELS) $(foreach h,$(EXPLORE_HOSTS),--allow-host=$(h))

clean: ## remove generated outputs (not the venv, never data/raw)
	find outputs -mindepth 1 ! -name README.md -exec rm -rf {} +
	find data/processed -mindepth 1 ! -name README.md -exec rm -rf {} +

.PHONY: help venv brief brief-all demo demo-2022 test test-fast fuzz fuzz-project goldens bench lab explore clean
