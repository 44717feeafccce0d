"""Figures of notebook 07: scatter-plot matrix, confusion matrix, lr finder, update ratios.

Same conventions as course_utils.plotting: the course palette (class c gets
COLORS[c] and marker MARKERS[c], so classes differ in grey too), helpers that
draw on ``ax`` and return it, never ``plt.show()``. ``plot_scatter_matrix``
makes its own figure (a grid of D x D Axes) and returns the array of Axes.
"""

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.markers import MarkerStyle

from course_utils.plot_optim import plain_log_labels
from course_utils.plotting import COLORS, LINESTYLES

__all__ = ["MARKERS", "plot_confusion_matrix", "plot_lr_find", "plot_scatter_matrix",
           "plot_update_ratios", "set_class_markers"]

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _points(X, y, where: str) -> tuple:
    if not isinstance(X, torch.Tensor) or X.ndim != 2:
        raise ValueError(f"{where} expected X as a (N, D) tensor, got "
                         f"{tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__}")
    if not isinstance(y, torch.Tensor) or y.shape != X.shape[:1] or y.is_floating_point():
        raise ValueError(f"{where} expected integer class ids y of shape ({X.shape[0]},)")
    return X.detach().cpu().double().numpy(), y.detach().cpu().numpy()


def _check_class_names(class_names: Sequence, labels: np.ndarray, where: str) -> None:
    """One name per class id in labels, and no more classes than the palette has colours."""
    needed = int(labels.max()) + 1 if labels.size else 0
    if not needed <= len(class_names) <= len(COLORS):
        raise ValueError(f"{where} expected one class name per class id 0..{needed - 1} (at most "
                         f"{len(COLORS)}, the palette's colours), got {len(class_names)} names")
    if labels.size and labels.min() < 0:
        raise ValueError(f"{where} expected class ids >= 0, got {int(labels.min())}")


def plot_scatter_matrix(X: torch.Tensor, y: torch.Tensor, feature_names: Sequence,
                        class_names: Sequence, highlight: torch.Tensor | None = None,
                        figsize=(9, 9)):
    """Every pair of features as a scatter plot, coloured by class; histograms on the diagonal.

    Panel (i, j), below the diagonal (j < i), plots feature j (x) against feature i (y);
    the panels above it would repeat them mirrored and are left empty (the legend goes
    there). Diagonal panel i: feature i's histogram per class, with bins common to all
    classes, drawn as outlines in the class's colour and line style (readable in grey).
    Each column shares its x axis. ``highlight``, a (N,) bool mask, circles those points
    in black on every scatter panel (e.g. misclassified flowers).

    Args:
        X: (N, D) features. y: (N,) class ids in 0..C-1. feature_names: D names.
        class_names: C names, C > max(y), C <= len(COLORS). highlight: optional (N,) bool.
    Returns:
        the (D, D) numpy array of Axes.
    """
    points, labels = _points(X, y, "plot_scatter_matrix")
    D = points.shape[1]
    if len(feature_names) != D:
        raise ValueError(f"plot_scatter_matrix expected {D} feature names, "
                         f"got {len(feature_names)}")
    _check_class_names(class_names, labels, "plot_scatter_matrix")
    if highlight is not None and (not isinstance(highlight, torch.Tensor)
                                  or highlight.dtype != torch.bool or highlight.shape != y.shape):
        raise ValueError(f"plot_scatter_matrix expected highlight as a ({len(labels)},) "
                         "bool tensor")
    mask = highlight.cpu().numpy() if highlight is not None and bool(highlight.any()) else None
    fig, axes = plt.subplots(D, D, figsize=figsize, squeeze=False, sharex="col")
    for i in range(D):
        edges = np.histogram_bin_edges(points[:, i], bins=12)  # the same bins for every class
        for j in range(D):
            ax = axes[i, j]
            if j > i:  # empty: not drawn at all (the legend goes into the top right one)
                ax.set_visible(False)
                continue
            for c, name in enumerate(class_names):
                rows = labels == c
                if i == j:
                    ax.hist(points[rows, i], bins=edges, histtype="step", color=COLORS[c],
                            linestyle=LINESTYLES[c], linewidth=1.5, label=name)
                else:  # markers without a line: drawn faster than ax.scatter
                    ax.plot(points[rows, j], points[rows, i], linestyle="none", markersize=3.5,
                            color=COLORS[c], marker=MARKERS[c], label=name)
            if mask is not None and i != j:
                ax.plot(points[mask, j], points[mask, i], linestyle="none", marker="o",
                        markersize=9, markerfacecolor="none", markeredgecolor="k",
                        markeredgewidth=1.5, label="highlighted")
            # ticks and labels on the outer panels only: inner ones repeat them (and cost time)
            ax.locator_params(nbins=3)
            ax.tick_params(labelbottom=i == D - 1, labelleft=j == 0 and i != 0)
            if i == D - 1:
                ax.set_xlabel(feature_names[j])
            if j == 0:
                ax.set_ylabel(feature_names[i] if i else f"{feature_names[0]}\n(count)")
    if D > 1:
        handles, names = axes[1, 0].get_legend_handles_labels()
        corner = axes[0, D - 1]
        corner.set_visible(True)
        corner.set_axis_off()
        corner.legend(handles, names, loc="upper right", fontsize="small")
    fig.subplots_adjust(hspace=0.08, wspace=0.08)
    return axes


def plot_confusion_matrix(M: torch.Tensor, class_names: Sequence, ax=None, title=None):
    """Heat map of a (C, C) confusion matrix: rows true class, columns predicted, counts written in.

    Returns:
        the Axes.
    """
    if not isinstance(M, torch.Tensor) or M.ndim != 2 or M.shape[0] != M.shape[1] \
            or M.is_floating_point():
        raise ValueError("plot_confusion_matrix expected a square integer (C, C) tensor")
    if len(class_names) != M.shape[0]:
        raise ValueError(f"plot_confusion_matrix expected {M.shape[0]} class names, "
                         f"got {len(class_names)}")
    ax = plt.gca() if ax is None else ax
    counts = M.cpu().numpy()
    ax.imshow(counts, cmap="Blues", vmin=0)
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            dark = counts[i, j] > counts.max() / 2
            ax.text(j, i, str(counts[i, j]), ha="center", va="center",
                    color="white" if dark else "black")
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names)
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or "confusion matrix")
    return ax


def plot_lr_find(lrs: Sequence, losses: Sequence, ax=None, chosen: float | None = None):
    """Loss against learning rate on a log-x axis (lr_find's output); a vertical line at ``chosen``.

    The log axis has major ticks (one per decade) only, labelled in plain text (10⁻³,
    plot_optim.plain_log_labels): minor ticks over several decades are clutter, and
    matplotlib's mathtext labels are slow to draw.

    Returns:
        the Axes.
    """
    if len(lrs) != len(losses) or len(lrs) < 2:
        raise ValueError(f"plot_lr_find expected lrs and losses of the same length >= 2, got "
                         f"{len(lrs)} and {len(losses)}")
    ax = plt.gca() if ax is None else ax
    ax.plot(lrs, losses, label="loss of the batch")
    if chosen is not None:
        ax.axvline(chosen, color=COLORS[3], linestyle=LINESTYLES[3],
                   label=f"chosen lr = {chosen:g}")
    ax.set_xscale("log")
    plain_log_labels(ax.xaxis)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.set_title("learning-rate finder")
    ax.legend()
    return ax


def plot_update_ratios(ratios: Mapping, ax=None, guide: float = 1e-3):
    """||update|| / ||weight|| per step for each weight, log-y, with a dotted guide line.

    The log axis has major ticks (one per decade) only, as in plot_lr_find.

    Args:
        ratios: name -> list of floats (UpdateRatios.ratios). guide: the reference ratio.
    Returns:
        the Axes.
    """
    if not isinstance(ratios, Mapping) or not ratios:
        raise ValueError("plot_update_ratios expected a non-empty dict name -> list of ratios")
    ax = plt.gca() if ax is None else ax
    for name, values in ratios.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=name)
    ax.axhline(guide, color="0.4", linestyle=":", label=f"guide {guide:g}")
    ax.set_yscale("log")
    plain_log_labels(ax.yaxis)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("||update|| / ||weight||")
    ax.set_title("update-to-parameter ratio per layer")
    ax.legend()
    return ax


def set_class_markers(ax, first: int = 1, loc: str = "best"):
    """Give the per-class scatters on ``ax`` the course's MARKERS (class c gets MARKERS[c]).

    For figures whose helper draws every class as a circle, e.g. plot_decision_regions
    (its collection 0 is the region mesh, so the class scatters start at ``first=1``):
    shape as well as colour then tells the classes apart, in grey too. Redraws the legend
    at ``loc`` (matplotlib's legend loc; "best" tests every cell of a region mesh against
    the legend, which is slow for a fine grid: name a corner there).

    Returns:
        the Axes.
    """
    scatters = ax.collections[first:]
    if not scatters or len(scatters) > len(MARKERS):
        raise ValueError(f"set_class_markers expected 1..{len(MARKERS)} scatter collections from "
                         f"index {first} on, got {len(scatters)}")
    for c, collection in enumerate(scatters):
        marker = MarkerStyle(MARKERS[c])
        collection.set_paths([marker.get_path().transformed(marker.get_transform())])
    ax.legend(loc=loc)
    return ax
