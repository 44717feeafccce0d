# Backprop from Scratch: one environment (.venv) for the course, its tests and CI.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: course test lint notebooks portability student clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

course: $(STAMP)  ## install (first time only) and open JupyterLab on notebooks/
	$(BIN)/jupyter lab notebooks

test: $(STAMP)  ## unit tests + every notebook under nbval (strict), then lint
	$(BIN)/pytest
	$(BIN)/ruff check .

lint: $(STAMP)  ## ruff on the library, tests and notebooks
	$(BIN)/ruff check .

notebooks: $(STAMP)  ## re-run notebooks top to bottom and store outputs (NB=path for one)
	$(BIN)/python tools/execute_notebooks.py $(NB)

portability: $(STAMP)  ## run the notebooks as other CPUs would: torch and MKL forced onto older instruction sets
	ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 $(BIN)/pytest notebooks
	ATEN_CPU_CAPABILITY=default MKL_ENABLE_INSTRUCTIONS=SSE4_2 $(BIN)/pytest notebooks

student: $(STAMP)  ## copies of the notebooks in student/ with the exercise solutions removed
	$(BIN)/python tools/make_student_version.py student

clean:  ## remove the environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache student
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
