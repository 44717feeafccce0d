"""tools/notebook_slice.py: which cells the exercise harness must run."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "notebook_slice", Path(__file__).resolve().parent.parent / "tools" / "notebook_slice.py")
notebook_slice = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebook_slice)
names, needed = notebook_slice.names, notebook_slice.needed


def test_reads_are_names_loaded_before_the_cell_binds_them():
    cell = names("for name in names_list:\n    print(name)\nx = f(x)\ndef g(a):\n"
                 "    b = a + offset\n    return b\n")
    assert cell.reads == {"names_list", "print", "f", "x", "offset"}
    assert cell.defines == {"name", "x", "g"}


def test_method_calls_change_objects_but_not_modules():
    cell = names("import torch\nmodel.train()\ntorch.testing.assert_close(a, b)\nw[0] = 1\n")
    assert {"model", "torch"} <= cell.calls and "w" in cell.changes
    sources = ["import torch", "model = make()", "model.train()",
               "torch.testing.assert_close(model.w, w)", "check(model)"]
    assert needed(sources, {4}) == {0, 1, 2, 4}  # the assert_close cell changes nothing


def test_a_chain_of_definitions_is_followed_and_unrelated_cells_skipped():
    sources = ["import torch", "X = torch.randn(3)", "fig = plot(X)  # a figure",
               None, "Y = 2 * X", "slow_study = run(1000)", "check(Y)"]
    assert needed(sources, {6}) == {0, 1, 4, 6}


def test_names_the_answers_read_count_too():
    sources = ["import torch", "helper = make_helper()", "ans = None", "check(ans)"]
    assert needed(sources, {2, 3}) == {0, 2, 3}
    assert needed(sources, {2, 3}, extra_reads={"helper"}) == {0, 1, 2, 3}


def test_cells_it_cannot_read_always_run():
    sources = ["import torch", "from somewhere import *", "globals()['x'] = 1",
               "def f():\n    return exec('1')", "%timeit g()", "check()"]
    assert needed(sources, {5}) == {0, 1, 2, 4, 5}  # exec inside a function: not at run time
