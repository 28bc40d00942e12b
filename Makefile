# word2vec, derived: one conventional command each. See README.md.
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD := _build
# pytest arguments: two workers (one per core); whole files stay on one worker,
# so a notebook's cells run in order in one kernel (nbval needs that).
# E.g. `make test PYTEST_ARGS="-k gradcheck"` runs a subset serially.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: help setup browser sandbox book test test-fast bench outputs student clean vendor lab

help:
	@echo "make book      build the HTML book into $(BUILD)/html (executes chapters, cached)"
	@echo "make test      unit, property, notebook (nbval) and browser tests: the full suite CI runs"
	@echo "make test-fast unit and property tests only (no notebooks, browser or slow tests), < 1 min"
	@echo "make bench     timings: book build, cached rebuild, make test, loss functions"
	@echo "make outputs   re-execute every chapter in place (refresh what nbval compares)"
	@echo "make student   the student edition in $(BUILD)/student (no solutions; see book/instructors.md)"
	@echo "make lab       open the chapters in JupyterLab (the explorers run with the kernel)"

# The environment: re-created only when requirements.txt changes.
$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# The repository root on sys.path, so chapters and tests import `derivations`
	@# (the client fixed the top level: no pyproject.toml to install from).
	$(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
	  | xargs -I{} sh -c 'echo "$(CURDIR)" > {}/word2vec_derived.pth'
	touch $@

setup: $(STAMP)

# Debian's Chromium for the browser tests (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's bubblewrap: the autograder runs untrusted code (students' submissions) under bwrap.
sandbox:
	@command -v bwrap >/dev/null || { \
	  echo "installing Debian's bubblewrap for the autograder's sandbox"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; }

# --- Offline assets: pinned npm packages, no CDN: mathjax-full typesets the math at
# build time (book/_ext/w2v_math.py); the files pages load are shipped inside the book. ---
# book/_vendor/package.json + package-lock.json pin them; files.txt lists the files pages load,
# copied to $(VENDOR)/site/vendor/ (html_extra_path in _config.yml) -> _build/html/vendor/.
# Both steps are stamped: with nothing changed, `make vendor` does nothing.
VENDOR := book/_vendor
NPM_STAMP := $(VENDOR)/node_modules/.w2v-installed
VENDOR_STAMP := $(VENDOR)/site.stamp

$(NPM_STAMP): $(VENDOR)/package.json $(VENDOR)/package-lock.json
	@command -v npm >/dev/null || { \
	  echo "installing Debian's nodejs and npm for the book's offline assets"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --prefix $(VENDOR) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR_STAMP): $(NPM_STAMP) $(VENDOR)/files.txt
	rm -rf $(VENDOR)/site
	mkdir -p $(VENDOR)/site/vendor
	# Unquoted $$pattern: the shell expands its glob; a pattern matching nothing fails cp.
	cd $(VENDOR)/node_modules && grep -Ev '^[[:space:]]*(#|$$)' ../files.txt \
	  | while read -r pattern; do cp --parents $$pattern ../site/vendor/; done
	touch $@

vendor: $(VENDOR_STAMP)
# --- end offline assets ---

# --- Wheels for Python in the page: the "Check your answer" boxes run the written-answer checker
# under Pyodide (book/_ext/w2v_answer_box.py). SymPy at requirements.txt's pin and mpmath at the
# version installed beside it, pure-Python wheels from PyPI (Pyodide's own lock pins other hashes).
# Stamped: re-downloaded only when requirements.txt or this pin changes. `make vendor` runs it.
WHEELS := $(VENDOR)/wheels
MPMATH_VERSION := 1.3.0
WHEELS_STAMP := $(WHEELS)/.w2v-downloaded-$(MPMATH_VERSION)

# The worker unpacks site-packages.zip: the wheels compiled to bytecode by the pinned Pyodide in
# Node (book/_ext/precompile_python.mjs; import sympy 2.5 s instead of 13 s in the page).
$(WHEELS_STAMP): requirements.txt $(NPM_STAMP) book/_ext/precompile_python.mjs | $(STAMP)
	rm -rf $(WHEELS) && mkdir -p $(WHEELS)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
	  --dest $(WHEELS) "$$(grep -E '^sympy==' requirements.txt | cut -d' ' -f1)" mpmath==$(MPMATH_VERSION)
	node book/_ext/precompile_python.mjs $(VENDOR)/node_modules/pyodide $(WHEELS)/site-packages.zip $(WHEELS)/*.whl
	touch $@

.PHONY: wheels
wheels: $(WHEELS_STAMP)
vendor: wheels
# --- end wheels ---

book: $(STAMP) vendor
	$(BIN)/jupyter-book build . --path-output . -W --keep-going --quiet
	@echo "Book: $(CURDIR)/$(BUILD)/html/index.html"

test: $(STAMP) browser sandbox book
	$(BIN)/python -m pytest -c tests/pytest.ini --rootdir . $(PYTEST_ARGS)

# The quick loop while editing, under a minute: tests/ less the browser tests and those marked
# slow, without nbval (addopts replaced), on two workers. `make test` stays the full suite.
test-fast: $(STAMP) sandbox vendor
	$(BIN)/python -m pytest -c tests/pytest.ini --rootdir . -o addopts="-p no:cacheprovider -ra" \
	  -m "not slow and not browser" -n 2 tests

bench: $(STAMP) browser sandbox
	$(BIN)/python tests/bench.py

outputs: $(STAMP)
	$(BIN)/python -m tests.execute_notebooks book

# The student edition: $(BUILD)/student/{html,notebooks,derivations}, no solution in it.
# `make student WRITTEN_CHECKER=no` also leaves out the written-answer checker (book/instructors.md).
WRITTEN_CHECKER ?= yes
student: $(STAMP) vendor
	$(BIN)/python -m derivations.coursework.student --out $(BUILD)/student \
	  $(if $(filter no,$(WRITTEN_CHECKER)),--no-written-checker)

# JupyterLab on the chapters, on any machine: as root (a container) it needs --allow-root.
# `make lab LAB_ARGS="--no-browser --port 8899"` passes options through.
LAB_ARGS ?=
lab: $(STAMP)
	$(BIN)/jupyter lab book/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean:
	rm -rf $(BUILD)
