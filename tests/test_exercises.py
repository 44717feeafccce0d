"""The exercise checks, themselves tested, on the student edition of every notebook.

For each notebook, ``tests/exercises/<notebook>.toml`` lists per exercise the
mistakes students really make (``[[exercise.wrong]]``: code, and a regex the
check's AssertionError must match) and other correct answers
(``[[exercise.correct]]``). The student edition of the notebook runs once, in
ONE kernel, top to bottom, limited to the exercises and the cells they depend
on (a backward slice over names, tools/notebook_slice.py: figures, timings and
studies that no exercise reads are left to the nbval run of the notebook); at
each exercise the harness runs, in this order, each followed by the check cell:

- the stub as the student gets it: the check must stop with "Exercise N.M is
  not done yet" (NotImplementedError), nothing else;
- each wrong answer: the check must raise AssertionError with its message;
- each correct answer and then the notebook's own solution: the check passes.

``code`` replaces the lines between the solution markers (write it unindented).
"""

import importlib.util
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
SPECS = Path(__file__).resolve().parent / "exercises"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

_TOOL = ROOT / "tools" / "make_student_version.py"
_spec = importlib.util.spec_from_file_location("student", _TOOL)
student = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student)
_spec = importlib.util.spec_from_file_location("notebook_slice",
                                               ROOT / "tools" / "notebook_slice.py")
notebook_slice = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebook_slice)


def exercises_in(path: Path) -> dict:
    """Exercise id -> (cell index, block) for every solution block of a notebook."""
    found = {}
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        blocks = student.solution_blocks(cell.source) if cell.cell_type == "code" else []
        if len(blocks) > 1:
            raise ValueError(f"{path.name} cell {index}: one solution block per cell, "
                             f"got {len(blocks)}")
        for block in blocks:
            if block["id"] in found:
                raise ValueError(f"{path.name}: exercise {block['id']} has two solution cells")
            found[block["id"]] = (index, block)
    return found


def load_spec(path: Path) -> dict:
    spec_file = SPECS / f"{path.stem}.toml"
    if not spec_file.exists():
        return {}
    entries = tomllib.loads(spec_file.read_text(encoding="utf-8")).get("exercise", [])
    return {entry["id"]: entry for entry in entries}


def cases():
    for path in NOTEBOOKS:
        for exercise_id, entry in load_spec(path).items():
            labels = ["unfinished stub"]
            labels += [f"wrong: {w['why']}" for w in entry.get("wrong", [])]
            labels += [f"correct: {c['why']}" for c in entry.get("correct", [])]
            labels += ["the notebook's solution"]
            for label in labels:
                yield pytest.param(path.stem, exercise_id, label,
                                   id=f"{path.stem[:2]}-{exercise_id}-{label}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_exercise_has_wrong_and_correct_answers(path):
    found, spec = exercises_in(path), load_spec(path)
    assert set(spec) <= set(found), f"{path.name}: the spec names exercises the notebook lacks: " \
                                    f"{sorted(set(spec) - set(found))}"
    for exercise_id in found:
        entry = spec.get(exercise_id, {})
        where = f"{path.name} exercise {exercise_id}"
        assert len(entry.get("wrong", [])) >= 3, f"{where}: needs >= 3 wrong answers"
        assert len(entry.get("correct", [])) >= 1, f"{where}: needs >= 1 other correct answer"
        for wrong in entry.get("wrong", []):
            re.compile(wrong["error"])


def _execute(client: NotebookClient, cell) -> tuple[str, str] | None:
    """Run one cell in the kernel; None if it passed, else (exception name, message)."""
    try:
        client.execute_cell(cell, 0, store_history=False)
    except CellExecutionError as error:
        return error.ename, error.evalue
    return None


def _code(source: str):
    return nbformat.v4.new_code_cell(source)


def _check_exercise(client, stub_cell, check_cell, original: str, block: dict, entry: dict) -> dict:
    """Run the stub, the wrong answers, the correct ones and the solution, each with the check.

    ``original`` is the solution cell's source, markers included: answers replace its block.
    """
    results, exercise_id = {}, block["id"]
    message = student.not_done_message(block)
    stub = _execute(client, stub_cell)
    outcome = _execute(client, check_cell)
    if stub not in (None, ("NotImplementedError", message)):
        results["unfinished stub"] = f"the stub cell itself raised {stub}"
    elif outcome is None or outcome[0] != "NotImplementedError" or \
            not outcome[1].startswith(f"Exercise {exercise_id} is not done yet"):
        results["unfinished stub"] = f"the check did not say 'not done yet': it gave {outcome}"
    else:
        results["unfinished stub"] = None
    for wrong in entry.get("wrong", []):
        label = f"wrong: {wrong['why']}"
        own = _execute(client, _code(student.replace_blocks(original, [wrong["code"]])))
        outcome = _execute(client, check_cell)
        if own is not None:
            results[label] = f"the wrong answer's cell itself raised {own}"
        elif outcome is None:
            results[label] = "the check PASSED this wrong answer"
        elif outcome[0] != "AssertionError" or not re.search(wrong["error"], outcome[1], re.S):
            results[label] = f"expected AssertionError matching {wrong['error']!r}, got {outcome}"
        else:
            results[label] = None
    for correct in [*entry.get("correct", []), {"why": None, "code": block["code"]}]:
        label = f"correct: {correct['why']}" if correct["why"] else "the notebook's solution"
        own = _execute(client, _code(student.replace_blocks(original, [correct["code"]])))
        outcome = own or _execute(client, check_cell)
        results[label] = None if outcome is None else f"a correct answer failed: {outcome}"
    return results


def _check_index(nb, index: int) -> int:
    return next(i for i in range(index + 1, len(nb.cells)) if nb.cells[i].cell_type == "code")


def _cells_to_run(nb, originals, by_cell: dict, spec: dict) -> set:
    """The exercises' cells and the cells they depend on (tools/notebook_slice.py).

    Figures, timings and studies that no exercise reads are left to the nbval run;
    so are the cells after the last exercise's check.
    """
    targets = set(by_cell) | {_check_index(nb, index) for index in by_cell}
    answers = set()
    for index, block in by_cell.items():
        entry = spec.get(block["id"], {})
        for case in [*entry.get("wrong", []), *entry.get("correct", [])]:
            answer = student.replace_blocks(originals[index].source, [case["code"]])
            answers |= notebook_slice.names(answer).reads
        answers |= notebook_slice.names(originals[index].source).reads
    sources = [c.source if c.cell_type == "code" else None for c in nb.cells]
    return notebook_slice.needed(sources, targets, answers)


def run_student_edition(path: Path) -> dict:
    """Run a notebook's student edition once; (exercise id, case label) -> None or the problem."""
    nb, _ = student.student_notebook(path)
    originals = nbformat.read(path, as_version=4).cells
    found, spec = exercises_in(path), load_spec(path)
    by_cell = {index: block for index, block in found.values()}
    results = {}
    # The kernel is killed at the end (nothing in it needs a graceful exit: that waits
    # ~1.3 s per notebook), and tracebacks are formatted minimally: the harness reads
    # only the exception's name and message, and a full IPython traceback costs ~40 ms
    # for each of the hundreds of expected failures.
    client = NotebookClient(nb, kernel_name="python3", timeout=60, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(path.parent)}})
    checks = set()
    runs = _cells_to_run(nb, originals, by_cell, spec)
    with client.setup_kernel():
        _execute(client, _code("get_ipython().InteractiveTB.set_mode('Minimal')"))
        for index, cell in enumerate(nb.cells):
            if index not in runs or index in checks:
                continue
            if index in by_cell:
                block = by_cell[index]
                check_index = _check_index(nb, index)
                checks.add(check_index)
                for label, problem in _check_exercise(client, cell, nb.cells[check_index],
                                                      originals[index].source, block,
                                                      spec.get(block["id"], {})).items():
                    results[block["id"], label] = problem
                continue
            outcome = _execute(client, cell)
            if outcome is not None and "raises-exception" not in cell.metadata.get("tags", []):
                results["setup"] = f"cell {index} of the student edition raised {outcome}"
                break
    return results


_RESULTS: dict = {}


@pytest.mark.parametrize(("notebook", "exercise_id", "case"), list(cases()))
def test_exercise_check(notebook, exercise_id, case):
    if notebook not in _RESULTS:
        try:
            _RESULTS[notebook] = run_student_edition(ROOT / "notebooks" / f"{notebook}.ipynb")
        except Exception as error:  # reported once per case, not re-run for each
            _RESULTS[notebook] = {"setup": f"the harness failed: {error!r}"}
    results = _RESULTS[notebook]
    assert "setup" not in results, results.get("setup")
    assert (exercise_id, case) in results, f"exercise {exercise_id} was not reached"
    problem = results[exercise_id, case]
    assert problem is None, f"{notebook} exercise {exercise_id}, {case}: {problem}"
