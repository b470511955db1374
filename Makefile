# Two commands for a new reader: `make book` and `make test`.
# Both create .venv with the machine's python3 (3.11+) when it is missing and
# install requirements.txt when it changed; a second run reinstalls nothing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.requirements-installed
BOOK   := _build/html/index.html
# The strict build: every page executed, zero warnings tolerated. Sphinx
# re-reads (and so re-executes) only the pages whose source changed since its
# last build; --all makes it re-read every page. `make book` passes --all
# unless the last successful build was made with the same package, pins and
# book configuration (a hash of them, kept in BUILT), so an edited chapter
# re-executes alone and a change in src/ reaches every page. A failed build
# removes the stamp: the next one re-reads everything, and a warning of an
# unchanged page can never hide.
BUILD  := $(BIN)/jupyter-book build --all . -W -n --keep-going
BUILD_CHANGED := $(BIN)/jupyter-book build . -W -n --keep-going
BUILT  := _build/.built-with
DEPS   := src _ext _static requirements.txt pyproject.toml _config.yml _toc.yml
DEPS_HASH = $$(find $(DEPS) -type f -not -name '*.pyc' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)

# One BLAS thread: the book's matrices are small, and on a busy 2-core machine
# threads fighting for cores made a training run fifty times slower.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: book test lint format lab clean pdf

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

book: $(STAMP)
	@mkdir -p _build; echo "$(DEPS_HASH)" > $(BUILT).new
	if [ "$$(cat $(BUILT) 2>/dev/null)" = "$$(cat $(BUILT).new)" ]; then rm -f $(BUILT); $(BUILD_CHANGED); else rm -f $(BUILT); $(BUILD); fi
	@mv $(BUILT).new $(BUILT)
	@echo
	@echo "The book is at $(CURDIR)/$(BOOK)"
	@echo "Open it in a browser: file://$(CURDIR)/$(BOOK)"

# The build is itself a test (a failing cell fails it); pytest then checks the
# package, the explorers, the built HTML and, in headless Chromium, the pages.
test: lint book
	$(BIN)/python -m pytest

# ruff, pinned in requirements.txt and configured in pyproject.toml, over the
# package, the tests, the benchmarks and (through jupytext) the chapters'
# code cells. `make format` rewrites what `make lint` would refuse.
RUFF     := $(CURDIR)/$(BIN)/ruff
CHAPTERS := $(wildcard chapters/*.md)
# ruff reads notebooks cell by cell: the chapters are linted as .ipynb copies.
LINTDIR  := _build/lint/chapters
lint: $(STAMP)
	$(RUFF) check src tests benchmarks
	$(RUFF) format --check src tests benchmarks
	@rm -rf $(LINTDIR) && mkdir -p $(LINTDIR)
	@for f in $(CHAPTERS); do $(BIN)/jupytext --quiet --to ipynb --output $(LINTDIR)/$$(basename $$f .md).ipynb $$f; done
	$(RUFF) check $(LINTDIR)
	$(RUFF) format --check $(LINTDIR)

format: $(STAMP)
	$(RUFF) check --fix --quiet src tests benchmarks
	$(RUFF) format --quiet src tests benchmarks
	@for f in $(CHAPTERS); do \
	  $(BIN)/jupytext --quiet --pipe-fmt py:percent --pipe "$(RUFF) check --fix --quiet --stdin-filename $$f.py -" $$f; \
	  $(BIN)/jupytext --quiet --pipe-fmt py:percent --pipe "$(RUFF) format --quiet --stdin-filename $$f.py -" $$f; \
	done

# JupyterLab in which a chapter's .md opens as a notebook on double-click:
# lab/overrides.json makes jupytext's notebook viewer the default for Markdown
# and MyST. jupyterlab-myst (requirements.txt) renders the MyST: directives,
# roles, math, folded solutions, and the {eval} numbers, which it asks the
# kernel for when a Markdown cell runs (Run All) and keeps in the cell's
# metadata; jupytext leaves that metadata out when it saves the .md.
# (--allow-root only when run as root, as in a container.)
lab: $(STAMP)
	$(BIN)/jupyter lab chapters --LabApp.app_settings_dir=$(CURDIR)/lab --ContentsManager.cell_metadata_filter=-user_expressions $(if $(filter 0,$(shell id -u)),--allow-root)

# The whole book as one PDF, printed from the built HTML by headless
# Chromium (tools/book_pdf.py): _build/html/_downloads/backprop-book.pdf,
# which the intro then links. Needs the HTML book: `make book` first.
pdf: $(STAMP)
	@test -f $(BOOK) || { echo "No HTML book at $(BOOK): run 'make book' first"; exit 1; }
	$(BIN)/python tools/book_pdf.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
