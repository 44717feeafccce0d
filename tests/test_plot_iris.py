"""Tests for course_utils.plot_iris: the figures of notebook 07 draw, and refuse bad input."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils.plot_iris import (  # noqa: E402
    plot_confusion_matrix,
    plot_lr_find,
    plot_scatter_matrix,
    plot_update_ratios,
)


def test_scatter_matrix_has_one_panel_per_pair_and_highlights():
    X = torch.randn(12, 3, generator=torch.Generator().manual_seed(0))
    y = torch.arange(12) % 3
    axes = plot_scatter_matrix(X, y, ["a", "b", "c"], ["p", "q", "r"],
                               highlight=torch.arange(12) == 4, figsize=(3, 3))
    assert axes.shape == (3, 3)
    assert len(axes[1, 0].lines) == 4  # 3 classes + the highlight ring
    assert not axes[0, 1].get_visible() and axes[0, 2].get_legend() is not None  # the legend
    outlines = [patch.get_path().vertices[:, 0] for patch in axes[0, 0].patches]  # one per class
    assert len(outlines) == 3
    assert len({tuple(sorted(set(x))) for x in outlines}) == 1  # common bin edges for every class
    with pytest.raises(ValueError, match="3 feature names"):
        plot_scatter_matrix(X, y, ["a"], ["p", "q", "r"])
    with pytest.raises(ValueError, match="bool tensor"):
        plot_scatter_matrix(X, y, ["a", "b", "c"], ["p", "q", "r"], highlight=torch.zeros(12))
    with pytest.raises(ValueError, match=r"one class name per class id 0..2 .*got 2 names"):
        plot_scatter_matrix(X, y, ["a", "b", "c"], ["p", "q"])
    with pytest.raises(ValueError, match=r"at most 8, the palette's colours\), got 9 names"):
        plot_scatter_matrix(X, y, ["a", "b", "c"], list("abcdefghi"))
    plt.close("all")


def test_confusion_matrix_figure_writes_the_counts():
    M = torch.tensor([[3, 1], [0, 2]])
    ax = plot_confusion_matrix(M, ["x", "y"])
    assert [t.get_text() for t in ax.texts] == ["3", "1", "0", "2"]
    with pytest.raises(ValueError, match="square integer"):
        plot_confusion_matrix(M.double(), ["x", "y"])
    with pytest.raises(ValueError, match="2 class names"):
        plot_confusion_matrix(M, ["x"])
    plt.close("all")


def _labels(axis) -> list[str]:
    axis.axes.figure.canvas.draw()
    return [label.get_text() for label in axis.get_ticklabels() if label.get_text()]


def test_lr_find_and_update_ratio_figures_use_log_axes_with_plain_text_labels():
    ax = plot_lr_find([1e-3, 1e-2, 1e-1], [1.1, 0.9, 2.0], chosen=1e-2)
    assert ax.get_xscale() == "log" and len(ax.lines) == 2
    assert len(ax.xaxis.get_minorticklocs()) == 0 and len(ax.xaxis.get_majorticklocs()) > 0
    assert {"10⁻³", "10⁻²", "10⁻¹"} <= set(_labels(ax.xaxis))  # not mathtext: no "$"
    with pytest.raises(ValueError, match="same length"):
        plot_lr_find([1e-3, 1e-2], [1.0])
    plt.close("all")
    ax = plot_update_ratios({"0.weight": [1e-2, 1e-3], "2.weight": [2e-2, 2e-3]})
    assert ax.get_yscale() == "log" and len(ax.lines) == 3  # two layers and the guide
    assert len(ax.yaxis.get_minorticklocs()) == 0 and len(ax.yaxis.get_majorticklocs()) > 0
    assert "10⁻³" in _labels(ax.yaxis) and not any("$" in t for t in _labels(ax.yaxis))
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_update_ratios({})
    plt.close("all")


def test_set_class_markers_gives_each_class_its_marker():
    from course_utils.plot_iris import MARKERS, set_class_markers
    from course_utils.plotting import plot_decision_regions
    X = torch.randn(12, 2, generator=torch.Generator().manual_seed(0))
    y = torch.arange(12) % 3
    ax = plot_decision_regions(lambda grid: (grid[:, 0] > 0).long(), X, y, resolution=10)
    set_class_markers(ax)
    paths = [tuple(map(len, (c.get_paths()[0].vertices,))) for c in ax.collections[1:]]
    assert len(set(paths)) == 3  # circle, square and triangle have different outlines
    assert len(ax.get_legend().legend_handles) == 3
    assert ax.get_legend()._loc == 0  # "best" by default
    set_class_markers(ax, loc="upper left")
    assert ax.get_legend()._loc == 2 and len(ax.get_legend().legend_handles) == 3
    with pytest.raises(ValueError, match="1..8 scatter collections"):
        set_class_markers(ax, first=4)
    assert len(MARKERS) == 8
    plt.close("all")
