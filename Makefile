# Two commands do everything on a fresh machine with Python 3.11:
#   make report   set up, then run the whole pipeline on the bundled sample (results in outputs/)
#   make test     set up, then the unit tests and doctests, ruff, mypy, nbval over every notebook,
#                 and the site and JupyterLab in headless Chromium
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export PYTHONHASHSEED := 0

.PHONY: setup report test unit nbval lint site-test lab sample golden lock bench docs clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

report: setup
	$(BIN)/python -m analysis report

test: setup unit lint nbval site-test

unit: setup
	$(BIN)/python -m pytest -q tests --ignore=tests/site
	$(BIN)/python -m pytest -q --doctest-modules src/analysis

lint: setup
	$(BIN)/ruff check src tests benchmarks notebooks/*.py
	$(BIN)/mypy

nbval: setup
	$(BIN)/python -m pytest -q -p no:randomly --nbval notebooks --sanitize-with notebooks/sanitize.cfg

# The whole pipeline, then checks on the site it built (links, images, Thai text, no personal data).
site-test: report
	$(BIN)/python -m pytest -q tests/site

lab: setup
	$(BIN)/jupyter lab --allow-root --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks

sample: setup
	$(BIN)/python -m analysis sample

golden: setup
	$(BIN)/python -m analysis golden

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^analysis' \
	  | sed '1i # Pinned dependencies (Python 3.11). Regenerate with '"'"'make lock'"'"'; environment.yml follows this file.' > requirements.lock
	$(BIN)/python -m analysis.pipeline.envfiles

# The API reference (every public function with its docstring) as HTML in docs/api/.
docs: setup
	$(BIN)/pdoc --docformat numpy --output-directory docs/api analysis

bench: setup
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf outputs/clean outputs/index outputs/reliability outputs/notebooks outputs/site
