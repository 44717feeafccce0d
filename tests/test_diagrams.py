"""Tests for course_utils.diagrams.draw_broadcast (the aligned-shapes figure)."""

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba

from course_utils.diagrams import draw_broadcast

matplotlib.use("Agg")

STRETCHED = to_rgba("#f9cb9c")
MISSING = to_rgba("#fff2cc")
CLASH = to_rgba("#ea9999")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def cell_texts(ax):
    return [text.get_text() for text in ax.texts]


def count_cells(ax, colour):
    return sum(patch.get_facecolor() == colour for patch in ax.patches)


def test_returns_a_new_axes_when_none_is_given():
    before = len(plt.get_fignums())
    ax = draw_broadcast((4, 1), (3,))
    assert isinstance(ax, Axes)
    assert len(plt.get_fignums()) == before + 1


def test_draws_on_the_given_axes_without_a_new_figure():
    _, ax = plt.subplots()
    before = len(plt.get_fignums())
    assert draw_broadcast((2, 3), (3,), ax=ax) is ax
    assert len(plt.get_fignums()) == before
    assert len(ax.patches) == 3 * 2, "three rows (a, b, result) of two dims each"


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [((4, 3), (3,)), ((4, 1), (3,)), ((2, 3, 1), (3, 4)), ((5, 1, 0), (1, 2, 1)), ((), (2,))],
)
def test_title_gives_the_shape_torch_computes(shape_a, shape_b):
    ax = draw_broadcast(shape_a, shape_b)
    expected = tuple(torch.broadcast_shapes(shape_a, shape_b))
    assert ax.get_title().endswith(f"→ {expected}"), ax.get_title()


def test_stretched_and_missing_dims_are_marked():
    # (4, 1) with (3,): a's last dim is a stretched 1, b has no dim -2 (read as 1)
    ax = draw_broadcast((4, 1), (3,))
    assert count_cells(ax, STRETCHED) == 1
    assert count_cells(ax, MISSING) == 1
    assert count_cells(ax, CLASH) == 0
    assert "1→3" in cell_texts(ax) and "(1)→4" in cell_texts(ax)


def test_incompatible_shapes_are_drawn_as_the_error_without_raising():
    with pytest.raises(RuntimeError):  # torch refuses these shapes ...
        torch.broadcast_shapes((4, 3), (4,))
    ax = draw_broadcast((4, 3), (4,))  # ... the diagram draws why
    assert "error, 3 vs 4 in dim -1" in ax.get_title(), ax.get_title()
    assert count_cells(ax, CLASH) == 3, "a, b and the result of the clashing column"
    assert "?" in cell_texts(ax)


def test_accepts_torch_size_and_lists():
    ax = draw_broadcast(torch.Size([2, 1]), [1, 5])
    assert ax.get_title().endswith("→ (2, 5)"), ax.get_title()


@pytest.mark.parametrize(
    ("shape_a", "shape_b", "name"),
    [
        ("4, 3", (3,), "shape_a"),
        ((4, -1), (3,), "shape_a"),
        ((4,), (2.0,), "shape_b"),
        ((4,), (True,), "shape_b"),
        (None, (3,), "shape_a"),
        ((3,), 3, "shape_b"),
    ],
)
def test_bad_shapes_raise_value_error_naming_the_argument(shape_a, shape_b, name):
    with pytest.raises(ValueError, match=f"draw_broadcast expected {name} to be a tuple of"):
        draw_broadcast(shape_a, shape_b)


def test_bad_axes_raise_value_error():
    with pytest.raises(ValueError, match="expected ax to be a matplotlib Axes or None, got 'left'"):
        draw_broadcast((2,), (2,), ax="left")
