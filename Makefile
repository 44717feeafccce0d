# Backprop from Scratch: one environment (.venv) for the course, its tests and CI.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
# JupyterLab refuses to start as root (containers, Binder-like hosts) without --allow-root;
# add it only there. With no display it cannot open a browser: say so, it prints the URL.
LAB     = $(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) \
          $(if $(DISPLAY)$(WAYLAND_DISPLAY)$(filter Darwin,$(shell uname -s)),,--no-browser)

.PHONY: course test lint notebooks portability slides browser-check student student-files student-reset clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.txt constraints.txt pyproject.toml jupyterlab/overrides.json jupyterlab/ipython_kernel_config.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# The course's JupyterLab defaults (no news pop-up, no update checks, no extension
	@# manager: the course works offline), as JupyterLab's overrides.json inside this
	@# environment only: the user's own settings in ~/.jupyter are never touched.
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyterlab/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@# The kernel of this environment reports no Python version in language_info
	@# (course_utils/_kernel.py), so opening a stored notebook does not mark it modified.
	mkdir -p $(VENV)/etc/ipython
	cp jupyterlab/ipython_kernel_config.json $(VENV)/etc/ipython/ipython_kernel_config.json
	touch $(STAMP)

course: $(STAMP)  ## install (first time only) and open JupyterLab on notebooks/
	$(LAB) notebooks

# One pytest worker per core; conftest.py keeps each notebook (and each notebook's
# exercise harness) on one worker, in order.
test: $(STAMP)  ## unit tests + every notebook under nbval (strict) + the exercise harness, then lint
	$(BIN)/pytest -n auto
	$(BIN)/ruff check .

lint: $(STAMP)  ## ruff on the library, tests and notebooks
	$(BIN)/ruff check .

notebooks: $(STAMP)  ## re-run notebooks top to bottom and store outputs (NB=path for one)
	$(BIN)/python tools/execute_notebooks.py $(NB)

portability: $(STAMP)  ## run the notebooks as other CPUs would: torch and MKL forced onto older instruction sets
	ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 $(BIN)/pytest notebooks
	ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=SSE4_2 $(BIN)/pytest notebooks

slides: $(STAMP)  ## static reveal.js slides of every notebook in build/slides/ (open them offline)
	$(BIN)/python tools/build_slides.py $(NB)

# Headless Chromium is Debian's (playwright's own browser download needs the internet).
browser-check: slides  ## open every notebook (JupyterLab) and its slides in headless Chromium; check what renders
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser-check needs Debian's chromium: sudo apt-get install chromium"; exit 2; fi; }
	$(BIN)/python tools/browser_check.py $(NB)

student: student-files  ## the blank edition: write the missing copies in student/ (yours are kept), open JupyterLab there
	$(LAB) student

student-files: $(STAMP)  ## only write the missing student/ copies; an edited copy is never overwritten
	$(BIN)/python tools/make_student_version.py

student-reset: $(STAMP)  ## a fresh student copy of NB (e.g. NB=02); your old copy moves to student/backups/
	@test -n "$(NB)" || { echo "say which notebook: make student-reset NB=02"; exit 2; }
	$(BIN)/python tools/make_student_version.py --reset $(NB)

clean:  ## remove the environment and caches (student/ holds your work: it is never removed)
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
