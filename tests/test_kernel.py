"""Opening a stored notebook in JupyterLab must not mark it modified.

JupyterLab copies the running kernel's language_info into the notebook's
metadata; the notebook becomes "modified" when that differs from what is
stored. The course kernel (course_utils._kernel) reports a language_info
without the machine's Python version, and every stored notebook holds exactly
that dictionary.
"""

import json
import sys
from pathlib import Path

import nbformat
import pytest
from ipykernel.ipkernel import IPythonKernel

from course_utils._kernel import LANGUAGE_INFO, CourseKernel

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
