"""Figures for optimizers: curves against the step, and a learning-rate sweep.

Like course_utils.plotting: each helper takes ``ax=None`` (the current Axes),
returns the Axes and never calls ``plt.show()``. Paths over contours are
course_utils.plotting.plot_optimizer_paths.
"""

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["plot_curves", "plot_lr_sweep"]


def _curve(name, values, where: str) -> np.ndarray:
    if not isinstance(values, torch.Tensor) or values.dim() != 1 or len(values) == 0:
        got = tuple(values.shape) if isinstance(values, torch.Tensor) else type(values).__name__
        raise ValueError(f"{where} expected {name!r} as a non-empty 1-D tensor, got {got}")
    return values.detach().cpu().double().numpy()


def _named(curves, where: str) -> dict:
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"{where} expected a non-empty dict name -> 1-D tensor, "
                        f"got {type(curves).__name__}")
    return {name: _curve(name, v, where) for name, v in curves.items()}


def plot_curves(curves: Mapping, ax=None, logy: bool = True, xlabel: str = "step",
                ylabel: str = "loss", title: str | None = None):
    """One line per curve, value against step 0, 1, 2, ... (log y-axis by default).

    Args:
        curves: dict name -> (T,) tensor (T may differ between curves). On a log axis,
            values <= 0, nan and inf are left out (a diverged run's line ends there).
        ax: Axes (default: the current one). logy: log scale for y.
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
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def plot_lr_sweep(lrs: torch.Tensor, finals: Mapping, ax=None, cap: float = 1e3,
                  floor: float = 1e-12, title: str | None = None):
    """Final loss against learning rate, log-log, one line per optimizer.

    A run whose final loss is nan, inf or above ``cap`` (diverged) is drawn at ``cap``
    with an x marker, so divergence shows as a line hitting the ceiling. Losses below
    ``floor`` are drawn at the floor (a y-axis over 80 decades says nothing and is slow).
    Args:
        lrs: (K,) learning rates > 0. finals: dict name -> (K,) final losses.
        ax: Axes (default: the current one). cap > floor > 0: the ceiling and the floor.
    Returns: the Axes.
    """
    lr = _curve("lrs", lrs, "plot_lr_sweep")
    if not 0 < floor < cap:
        raise ValueError(f"plot_lr_sweep expected 0 < floor < cap, got floor={floor!r}, "
                         f"cap={cap!r}")
    if not (lr > 0).all():
        raise ValueError(f"plot_lr_sweep expected learning rates > 0, got {lr.tolist()}")
    arrays = _named(finals, "plot_lr_sweep")
    ax = ax if ax is not None else plt.gca()
    for name, y in arrays.items():
        if y.shape != lr.shape:
            raise ValueError(f"plot_lr_sweep expected finals[{name!r}] of shape {lr.shape}, "
                             f"got {y.shape}")
        diverged = ~np.isfinite(y) | (y > cap)
        y = np.where(diverged, cap, np.maximum(y, floor))
        (line,) = ax.plot(lr, y, marker="o", markersize=3, label=name)
        ax.plot(lr[diverged], y[diverged], "x", color=line.get_color(), markersize=8)
    for level in (cap, floor):
        ax.axhline(level, color="0.5", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel(f"final loss (x: diverged; floor {floor:.0e})")
    if title:
        ax.set_title(title)
    ax.legend()
    return ax
