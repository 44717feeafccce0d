"""Opening a stored notebook in JupyterLab must not mark it modified.

JupyterLab copies the running kernel's language_info into the notebook's
metadata; the notebook becomes "modified" when that differs from what is
stored. The course kernel (course_utils._kernel) reports a language_info
without the machine's Python version, and every stored notebook holds exactly
that dictionary.

The course kernel also runs full garbage collections less often, and hides
from the collector what a library import created (course_utils._kernel).
"""

import gc
import json
import sys
import types
from pathlib import Path

import nbformat
import pytest
from ipykernel.ipkernel import IPythonKernel
from nbclient import NotebookClient

from course_utils._kernel import (
    FREEZE_AFTER_MODULES,
    FULL_COLLECTION_EVERY,
    LANGUAGE_INFO,
    CourseKernel,
    ImportFreezer,
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_course_kernel_reports_ipythons_language_info_without_the_version():
    assert "version" in IPythonKernel.language_info  # what makes stored notebooks machine-specific
    expected = {k: v for k, v in IPythonKernel.language_info.items() if k != "version"}
    assert CourseKernel.language_info == expected == LANGUAGE_INFO


def test_this_environment_starts_the_course_kernel():
    config = json.loads((ROOT / "jupyterlab" / "ipython_kernel_config.json").read_text())
    assert config == {"IPKernelApp": {"kernel_class": "course_utils._kernel.CourseKernel"}}
    installed = Path(sys.prefix) / "etc" / "ipython" / "ipython_kernel_config.json"
    if Path(sys.prefix) != ROOT / ".venv":
        pytest.skip(f"not the course environment: {sys.prefix}")
    assert installed.exists(), f"{installed} missing: run `make` to install it"
    assert json.loads(installed.read_text()) == config


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_notebook_metadata_is_what_the_kernel_reports(path):
    metadata = nbformat.read(path, as_version=4).metadata
    assert metadata.get("language_info") == LANGUAGE_INFO, (
        f"{path.name}: stored language_info {metadata.get('language_info')} differs from the "
        "course kernel's, so JupyterLab would mark it modified on open; re-run "
        "`make notebooks NB=...`")


def _fake_imports(first: int, count: int) -> list[str]:
    """Put `count` new (empty) modules in sys.modules, as an import would; their names."""
    names = [f"_course_test_module_{i}" for i in range(first, first + count)]
    for name in names:
        sys.modules[name] = types.ModuleType(name)
    return names


@pytest.fixture
def frozen_state():
    """Leave the collector as it was: nothing frozen by a test stays frozen."""
    before = gc.get_freeze_count()
    yield
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    if before:  # pragma: no cover - pytest itself does not freeze
        gc.freeze()


def test_import_freezer_freezes_after_a_cell_that_imported_many_modules(frozen_state):
    freezer = ImportFreezer(threshold=50)
    names = _fake_imports(0, 49)
    try:
        assert freezer() is False and gc.get_freeze_count() == 0  # 49 new modules: no import cell
        names += _fake_imports(49, 50)
        assert freezer() is True and gc.get_freeze_count() > 0  # 50: frozen
        assert freezer() is False  # counted from the last cell, not from the start
    finally:
        for name in names:
            del sys.modules[name]


def test_the_course_kernel_collects_less_often_and_freezes_after_an_import_cell_only():
    if Path(sys.prefix) != ROOT / ".venv":
        pytest.skip(f"not the course environment: {sys.prefix}")
    probe = "import gc\nprint(gc.get_freeze_count())"
    fake = (f"import sys, types\nfor i in range({FREEZE_AFTER_MODULES}):\n"
            "    sys.modules[f'm{i}'] = types.ModuleType(f'm{i}')")
    sources = ("import gc\nprint(gc.get_threshold())", "x = 1", probe, fake, probe)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in sources])
    NotebookClient(nb, kernel_name="python3", timeout=60, shutdown_kernel="immediate").execute()
    young, middle, full = gc.get_threshold()  # this process: Python's defaults
    assert FULL_COLLECTION_EVERY == 10 * full
    assert nb.cells[0].outputs[0]["text"].strip() == str((young, middle, FULL_COLLECTION_EVERY))
    before, after = (int(nb.cells[i].outputs[0]["text"]) for i in (2, 4))
    assert before == 0 and after > 0
