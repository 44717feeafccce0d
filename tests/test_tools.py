"""Tests for the repository tools in tools/ (student copies of the notebooks)."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "make_student_version.py"
spec = importlib.util.spec_from_file_location("make_student_version", TOOL)
student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student)


def test_solution_replaced_with_indented_placeholder():
    source = (
        "def f(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    y = x * 2\n"
        "    return y\n"
        "    ### END SOLUTION\n"
        "\n"
        "print(f)"
    )
    assert student.strip_solutions(source) == (
        "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nprint(f)"
    )


def test_two_solutions_in_one_cell_are_both_removed():
    block = "### BEGIN SOLUTION\n{}\n### END SOLUTION"
    source = "\n".join([block.format("a = 1"), "b = 2", block.format("c = 3")])
    stripped = student.strip_solutions(source)
    assert stripped.count("raise NotImplementedError()") == 2
    assert "a = 1" not in stripped and "c = 3" not in stripped and "b = 2" in stripped


def test_unbalanced_markers_are_an_error():
    with pytest.raises(ValueError, match="unbalanced solution markers"):
        student.strip_solutions("### BEGIN SOLUTION\nx = 1\n")


def test_student_copy_clears_outputs(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION")
    cell.outputs = [nbformat.v4.new_output("stream", text="42\n")]
    cell.execution_count = 1
    nb.cells = [nbformat.v4.new_markdown_cell("# Exercise"), cell]
    source = tmp_path / "00_demo.ipynb"
    nbformat.write(nb, source)
    out_dir = tmp_path / "student"
    out_dir.mkdir()
    assert student.student_copy(source, out_dir) == 1
    copy = nbformat.read(out_dir / "00_demo.ipynb", as_version=4)
    assert copy.cells[1].source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert copy.cells[1].outputs == [] and copy.cells[1].execution_count is None
    assert "answer = 42" in nbformat.read(source, as_version=4).cells[1].source
