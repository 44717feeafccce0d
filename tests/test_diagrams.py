"""Tests for course_utils.diagrams.draw_broadcast (the aligned-shapes figure)."""

import itertools

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb, to_rgba

from course_utils.diagrams import _CELL_STYLE, draw_broadcast

matplotlib.use("Agg")

STRETCHED = to_rgba(_CELL_STYLE["stretched"][0])
MISSING = to_rgba(_CELL_STYLE["missing"][0])
CLASH = to_rgba(_CELL_STYLE["clash"][0])


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


def test_the_legend_swatch_of_a_missing_dim_is_dashed_like_its_boxes():
    # the dash pattern is what gets drawn (a legend swatch reports get_linestyle() "solid"
    # even when it copied a dashed pattern from its handle)
    ax = draw_broadcast((4, 1), (3,))
    swatches = {patch.get_label(): patch._dash_pattern for patch in ax.get_legend().get_patches()}
    boxes = {patch.get_label(): patch._dash_pattern for patch in ax.patches}
    assert swatches["missing: read as 1, stretched"] == boxes["missing"]
    assert boxes["missing"][1] is not None, "the box of a missing dim is dashed"
    assert swatches["size kept"] == boxes["kept"] == (0.0, None), "a kept size is drawn solid"


# Machado, Oliveira & Fernandes (2009), severity 1, applied to linear RGB
_SIMULATIONS = {
    "normal vision": np.eye(3),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _lab(colour, simulation):
    """CIELAB coordinates of ``colour`` as seen under ``simulation`` (a 3x3 matrix)."""
    c = np.array(to_rgb(colour))
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    linear = np.clip(simulation @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("vision", _SIMULATIONS)
def test_every_pair_of_cell_colours_stays_apart_under_colour_blindness(vision):
    # the old pastel "missing" and "result" were 13 apart under deuteranopia (CIE76 Delta E)
    for (kind_a, (a, _)), (kind_b, (b, _)) in itertools.combinations(_CELL_STYLE.items(), 2):
        distance = np.linalg.norm(_lab(a, _SIMULATIONS[vision]) - _lab(b, _SIMULATIONS[vision]))
        assert distance > 20, f"{kind_a} and {kind_b} are only {distance:.1f} apart ({vision})"


def test_names_label_the_rows_and_dim_names_the_columns():
    ax = draw_broadcast((2, 3, 1), (1, 3, 4), names=("A.unsqueeze(-1)", "B.unsqueeze(0)"),
                        dim_names=("n", "k", "m"))
    texts = cell_texts(ax)
    assert "A.unsqueeze(-1) (2, 3, 1)" in texts and "B.unsqueeze(0) (1, 3, 4)" in texts
    assert {"n", "k", "m", "dim -3", "dim -2", "dim -1"} <= set(texts)
    default = cell_texts(draw_broadcast((2, 3, 1), (1, 3, 4)))
    assert "a (2, 3, 1)" in default and "b (1, 3, 4)" in default and "n" not in default


@pytest.mark.parametrize(("names", "dim_names", "phrase"), [
    (("A",), None, "names to be two strings"),
    ("AB", None, "names to be two strings"),
    (None, ("n", "m"), "dim_names to be 3 strings, one per dimension of the result"),
    (None, ("n", "k", 3), "dim_names to be 3 strings"),
])
def test_bad_names_raise_value_error(names, dim_names, phrase):
    with pytest.raises(ValueError, match=phrase):
        draw_broadcast((2, 3, 1), (3, 4), names=names, dim_names=dim_names)
