"""Tests for the repository tools in tools/ (the student edition of the notebooks)."""

import importlib.util
from pathlib import Path

import nbformat
import pytest

TOOL = Path(__file__).resolve().parent.parent / "tools" / "make_student_version.py"
spec = importlib.util.spec_from_file_location("make_student_version", TOOL)
student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student)

CELL = (
    "def f(x):\n"
    '    """Twice x."""\n'
    "    ### BEGIN SOLUTION Exercise 4.2: return twice x\n"
    "    y = x * 2\n"
    "    return y\n"
    "    ### END SOLUTION\n"
    "\n"
    "print(f)"
)


def test_solution_replaced_by_the_not_done_yet_line_signature_kept():
    assert student.strip_solutions(CELL) == (
        'def f(x):\n    """Twice x."""\n    # YOUR CODE HERE\n'
        '    raise NotImplementedError("Exercise 4.2 is not done yet: return twice x")\n\nprint(f)'
    )


def test_the_placeholder_runs_and_says_which_exercise():
    namespace = {}
    exec(student.strip_solutions(CELL), namespace)
    with pytest.raises(NotImplementedError, match=r"^Exercise 4.2 is not done yet: return twice"):
        namespace["f"](1)


def test_quotes_in_the_instruction_stay_valid_python():
    source = '### BEGIN SOLUTION Exercise 0.1: a tuple or "error"\nx = 1\n### END SOLUTION'
    with pytest.raises(NotImplementedError, match='a tuple or "error"'):
        exec(student.strip_solutions(source), {})


def test_replace_blocks_indents_the_answer_like_the_markers():
    replaced = student.replace_blocks(CELL, ["return x + x\n"])
    namespace = {}
    exec(replaced, namespace)
    assert namespace["f"](3) == 6 and "x * 2" not in replaced and "BEGIN" not in replaced


@pytest.mark.parametrize(("source", "message"), [
    ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "must name its exercise"),
    ("### BEGIN SOLUTION Exercise 1.1: x\nx = 1\n", "without an END"),
    ("x = 1\n### END SOLUTION", "without a BEGIN"),
])
def test_malformed_markers_are_an_error(source, message):
    with pytest.raises(ValueError, match=message):
        student.strip_solutions(source)


def _course(tmp_path, answer="42"):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        f"### BEGIN SOLUTION Exercise 0.1: set answer\nanswer = {answer}\n### END SOLUTION")
    cell.outputs = [nbformat.v4.new_output("stream", text="42\n")]
    cell.execution_count = 1
    nb.cells = [nbformat.v4.new_markdown_cell("# Exercise"), cell]
    source = tmp_path / "00_demo.ipynb"
    nbformat.write(nb, source)
    return source


def test_student_copy_clears_outputs_and_leaves_the_original(tmp_path):
    source, out_dir = _course(tmp_path), tmp_path / "student"
    out_dir.mkdir()
    assert student.write_copy(source, out_dir, reset=False) == "written (1 exercises)"
    copy = nbformat.read(out_dir / "00_demo.ipynb", as_version=4)
    assert "raise NotImplementedError" in copy.cells[1].source
    assert copy.cells[1].outputs == [] and copy.cells[1].execution_count is None
    assert "answer = 42" in nbformat.read(source, as_version=4).cells[1].source


def test_an_edited_copy_is_never_overwritten_and_reset_keeps_a_backup(tmp_path):
    source, out_dir = _course(tmp_path), tmp_path / "student"
    out_dir.mkdir()
    student.write_copy(source, out_dir, reset=False)
    target = out_dir / "00_demo.ipynb"
    mine = nbformat.read(target, as_version=4)
    mine.cells[1].source = "answer = 41  # my attempt"
    nbformat.write(mine, target)
    _course(tmp_path, answer="43")  # the course notebook changes
    for _ in range(2):
        assert student.write_copy(source, out_dir, reset=False).startswith("kept")
        assert "my attempt" in target.read_text()
    assert student.write_copy(source, out_dir, reset=True).startswith("reset")
    (backup,) = (out_dir / "backups").iterdir()
    assert "my attempt" in backup.read_text() and "my attempt" not in target.read_text()


def test_an_unedited_copy_follows_the_course_notebook(tmp_path):
    source, out_dir = _course(tmp_path), tmp_path / "student"
    out_dir.mkdir()
    student.write_copy(source, out_dir, reset=False)
    assert student.write_copy(source, out_dir, reset=False) == "up to date"
    nb = nbformat.read(source, as_version=4)
    nb.cells[0].source = "# Exercise, reworded"
    nbformat.write(nb, source)
    assert student.write_copy(source, out_dir, reset=False).startswith("updated")
    assert "reworded" in (out_dir / "00_demo.ipynb").read_text()
