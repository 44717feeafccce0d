"""Figures for optimizers: curves against the step, and a learning-rate sweep.

Like course_utils.plotting: each helper takes ``ax=None`` (the current Axes),
returns the Axes and never calls ``plt.show()``. Paths over contours are
course_utils.plotting.plot_optimizer_paths.
"""

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import FuncFormatter, NullLocator

__all__ = ["plain_log_labels", "plot_curves", "plot_lr_sweep", "power_of_ten_label"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten_label(value: float, _pos=None) -> str:
    """A log-axis tick label in plain text: 10⁻³ for 0.001, "%g" for a value between decades.

    matplotlib's default labels are mathtext ($10^{-3}$), whose parser costs several
    milliseconds per label and figure; Unicode superscripts look the same and cost nothing.
    """
    value = float(value)  # math, not numpy: a tick label is one number, called per tick and draw
    if not (math.isfinite(value) and value > 0):
        return ""
    exponent = round(math.log10(value))
    if not math.isclose(value, 10.0**exponent, rel_tol=1e-9):
        return f"{value:g}"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


def plain_log_labels(axis) -> None:
    """Make a log axis (``ax.xaxis`` or ``ax.yaxis``) use power_of_ten_label, no minor ticks."""
    axis.set_major_formatter(FuncFormatter(power_of_ten_label))
    axis.set_minor_locator(NullLocator())  # over many decades: clutter, and slow to draw


def _curve(name, values, where: str) -> np.ndarray:
    if not isinstance(values, torch.Tensor):
        raise TypeError(f"{where} expected {name!r} as a 1-D torch.Tensor, got "
                        f"{type(values).__name__} (use torch.as_tensor)")
    if values.dim() != 1 or len(values) == 0:
        raise ValueError(f"{where} expected {name!r} as a non-empty 1-D tensor, "
                         f"got shape {tuple(values.shape)}")
    return values.detach().cpu().double().numpy()


def _named(curves, where: str) -> dict:
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"{where} expected a non-empty dict name -> 1-D tensor, "
                        f"got {type(curves).__name__}")
    return {name: _curve(name, v, where) for name, v in curves.items()}


def _finish(ax, title, legend_loc: str):
    """Title and legend; legend_loc "outside" puts the legend right of the Axes."""
    if title:
        ax.set_title(title)
    if legend_loc == "outside":
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    else:
        ax.legend(loc=legend_loc)
    return ax

def plot_curves(curves: Mapping, ax=None, logy: bool = True, xlabel: str = "step",
                ylabel: str = "loss", title: str | None = None, legend_loc: str = "best"):
    """One line per curve, value against step 0, 1, 2, ... (log y-axis by default).

    Args:
        curves: dict name -> (T,) tensor (T may differ between curves). On a log axis,
            values <= 0, nan and inf are left out (a diverged run's line ends there);
            a log axis has no minor ticks and plain-text labels (power_of_ten_label).
        ax: Axes (default: the current one). logy: log scale for y.
        legend_loc: matplotlib's legend ``loc`` ("best" is slow for long curves).
    Returns: the Axes.
    """
    arrays = _named(curves, "plot_curves")
    ax = ax if ax is not None else plt.gca()
    for name, y in arrays.items():
        if logy:
            y = np.where(np.isfinite(y) & (y > 0), y, np.nan)
        ax.plot(np.arange(len(y)), y, label=name)
    if logy:
        ax.set_yscale("log")
        plain_log_labels(ax.yaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return _finish(ax, title, legend_loc)


def plot_lr_sweep(lrs: torch.Tensor, finals: Mapping, ax=None, cap: float = 1e3,
                  floor: float = 1e-12, title: str | None = None, legend_loc: str = "best"):
    """Final loss against learning rate, log-log, one line per optimizer.

    A run whose final loss is nan, inf or above ``cap`` (diverged) is drawn with an x
    above the ceiling ``cap``, each optimizer's x's in a row of their own (so that
    diverged runs of several optimizers do not hide each other), and the legend counts
    them. Losses below ``floor`` are drawn at the floor (a y-axis over 80 decades says
    nothing and is slow); the floor line is drawn only when a loss was clipped to it.
    The learning rates are sorted before drawing.
    Args:
        lrs: (K,) learning rates > 0. finals: dict name -> (K,) final losses >= 0 (or
            nan/inf for diverged runs). ax: Axes (default: the current one).
        cap > floor > 0: the ceiling and the floor. legend_loc: matplotlib's ``loc``, or
            "outside": to the right of the Axes (leave room for it in the figure).
    Returns: the Axes.
    """
    lr = _curve("lrs", lrs, "plot_lr_sweep")
    if not 0 < floor < cap:
        raise ValueError(f"plot_lr_sweep expected 0 < floor < cap, got floor={floor!r}, "
                         f"cap={cap!r}")
    if not (lr > 0).all():
        raise ValueError(f"plot_lr_sweep expected learning rates > 0, got {lr.tolist()}")
    arrays = _named(finals, "plot_lr_sweep")
    order = np.argsort(lr)
    ax = ax if ax is not None else plt.gca()
    clipped = False
    for row, (name, y) in enumerate(arrays.items()):
        if y.shape != lr.shape:
            raise ValueError(f"plot_lr_sweep expected finals[{name!r}] of shape {lr.shape}, "
                             f"got {y.shape}")
        if (y < 0).any():
            raise ValueError(f"plot_lr_sweep expected final losses >= 0 (a log axis), got "
                             f"{y.min():.3g} in finals[{name!r}]")
        x, y = lr[order], y[order]
        diverged = ~np.isfinite(y) | (y > cap)
        clipped |= bool((y[~diverged] < floor).any())
        y = np.where(diverged, np.nan, np.maximum(y, floor))
        label = f"{name} ({int(diverged.sum())} diverged)" if diverged.any() else name
        (line,) = ax.plot(x, y, marker="o", markersize=3, label=label)
        above = np.full(int(diverged.sum()), cap * 3.0 ** (row + 1))  # one row per optimizer
        ax.plot(x[diverged], above, "x", color=line.get_color(), markersize=7)
    ax.axhline(cap, color="0.5", linewidth=0.8, linestyle=":")
    if clipped:
        ax.axhline(floor, color="0.5", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    plain_log_labels(ax.xaxis)
    plain_log_labels(ax.yaxis)
    ax.set_xlabel("learning rate")
    floor_text = f"; floor {power_of_ten_label(floor)}" if clipped else ""  # as the ticks write it
    ax.set_ylabel(f"final loss (x above {power_of_ten_label(cap)}: diverged{floor_text})")
    return _finish(ax, title, legend_loc)
