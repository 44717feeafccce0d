"""Figures the notebooks reuse: Jacobians, derivatives, training curves, regions, paths.

Every helper draws on ``ax`` (the current Axes, ``plt.gca()``, when None),
returns that Axes, and never calls ``plt.show()``: the notebook decides when a
figure is finished, e.g. ``fig, axes = plt.subplots(1, 2)``, two helpers with
``ax=axes[0]`` and ``ax=axes[1]``, then ``plt.show()``.
Tensors may live on any device and may require grad; they are detached here.

One palette for the whole course: Okabe and Ito's eight colours, which stay
distinct under the common colour-vision deficiencies, each paired with its own
line style so that two lines differ even in grey. ``use_course_style()`` makes
them matplotlib's default cycle; notebooks call it once, after their imports.
"""

from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch
from cycler import cycler
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator

# Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion,
# reddish purple, sky blue, yellow, black.
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (3, 1, 1, 1, 1, 1)), "-")


def use_course_style() -> None:
    """Make the course palette (colour + line style pairs) matplotlib's default cycle."""
    plt.rcParams["axes.prop_cycle"] = cycler(color=COLORS) + cycler(linestyle=LINESTYLES)


def _axes(ax):
    return plt.gca() if ax is None else ax


def _numpy(t: torch.Tensor, name: str, where: str, ndim: int | None = None) -> np.ndarray:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{where} expected {name} to be a torch.Tensor, got {type(t).__name__}")
    if ndim is not None and t.dim() != ndim:
        raise ValueError(f"{where} expected {name} with {ndim} dimension(s), got shape "
                         f"{tuple(t.shape)}")
    return t.detach().cpu().numpy()


# Exact zeros of a Jacobian: (matplotlib colour, its name) that each colour scale lacks.
ZERO_COLORS = {"sequential": ("white", "white"), "diverging": ("0.55", "grey")}


def _jacobian_scale(values: np.ndarray):
    """(colormap, vmin, vmax, kind): sequential from 0 if no entry is negative, else diverging."""
    largest = float(np.abs(values).max()) if values.size else 0.0
    largest = largest if largest > 0 else 1.0  # an all-zero J still needs a valid colour range
    if (values >= 0).all():
        return plt.get_cmap("viridis"), 0.0, largest, "sequential"
    return plt.get_cmap("RdBu_r"), -largest, largest, "diverging"


def _block_shape(blocks, shape: tuple[int, int]) -> tuple[int, int]:
    """blocks as (rows, cols) of positive integers that divide J's shape, else a clear error."""
    if (not isinstance(blocks, tuple | list) or len(blocks) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) and b > 0 for b in blocks)):
        raise ValueError(f"plot_jacobian expected blocks = (rows, cols), two positive integers, "
                         f"got {blocks!r}")
    rows, cols = blocks
    if shape[0] % rows or shape[1] % cols:
        raise ValueError(f"plot_jacobian expected blocks that tile J: J is {shape[0]}×{shape[1]}, "
                         f"blocks {rows}×{cols} do not divide it")
    return rows, cols


def plot_jacobian(J: torch.Tensor, ax=None, title: str | None = None,
                  blocks: tuple[int, int] | None = None):
    """Heat map of a Jacobian J[i, j] = d out_i / d x_j, with a colorbar.

    The colour scale spends all its colours on the values J holds. When no entry
    is negative (ReQU, ReLU) it is sequential, viridis from 0 to max J; otherwise
    it is diverging and centred at 0, RdBu_r from -max|J| to +max|J| (red positive,
    blue negative). Entries that are EXACTLY 0 get a colour the scale lacks (white
    on viridis, grey on RdBu_r; the colorbar's label names it when J has any), so a
    structural zero, e.g. the block structure of a batch or a dead unit, never looks
    like a small entry.
    Up to 40 rows and columns, thin borders separate the cells.

    Args:
        J: (out.numel(), x.numel()) tensor of finite values, e.g. from jacobian_backprop.
        ax: Axes to draw on (default: the current one). title: defaults to the shape.
        blocks: (rows, cols) of the equal blocks J is made of, e.g. (3, 4) for a batch
            with 3 outputs and 4 inputs per sample: a tick at the first entry of every
            block and a dark line between blocks (default: integer ticks, no lines).
    Returns:
        the Axes; its image (ax.images[0]) holds J's values with the exact zeros masked.
    """
    values = _numpy(J, "J", "plot_jacobian", ndim=2).astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"plot_jacobian expected finite entries, got "
                         f"{int((~np.isfinite(values)).sum())} nan or inf in J")
    ax = _axes(ax)
    cmap, vmin, vmax, kind = _jacobian_scale(values)
    zero_color, zero_name = ZERO_COLORS[kind]
    image = ax.imshow(np.ma.masked_equal(values, 0.0), cmap=cmap.with_extremes(bad=zero_color),
                      vmin=vmin, vmax=vmax, interpolation="nearest")
    colorbar = ax.figure.colorbar(image, ax=ax)
    if (values == 0).any():  # name the zeros' colour only when some entry is drawn in it
        colorbar.set_label(f"{zero_name}: exactly 0")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(integer=True))  # entries have integer indices
    if blocks is not None:
        rows, cols = _block_shape(blocks, values.shape)
        ax.set_xticks(np.arange(0, values.shape[1], cols))
        ax.set_yticks(np.arange(0, values.shape[0], rows))
        for j in np.arange(cols, values.shape[1], cols):
            ax.axvline(j - 0.5, color="black", linewidth=0.8)
        for i in np.arange(rows, values.shape[0], rows):
            ax.axhline(i - 0.5, color="black", linewidth=0.8)
    if max(values.shape) <= 40:  # cell borders, so that runs of zeros can be counted
        ax.set_xticks(np.arange(values.shape[1] + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(values.shape[0] + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="0.85", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    ax.set_xlabel("input entry j")
    ax.set_ylabel("output entry i")
    ax.set_title(title if title is not None else f"Jacobian {values.shape[0]}×{values.shape[1]}")
    return ax


def _nearest_step(steps: np.ndarray, h: float) -> int:
    return int(np.abs(np.log10(steps) - np.log10(h)).argmin())


def plot_error_vs_step(steps: torch.Tensor, curves: Mapping, ax=None, guides=None, mark=None):
    """Log-log error of finite differences against the step h: the V of truncation and rounding.

    One line per curve, in the Axes' colour and line-style cycle (the course palette
    after use_course_style(), so every curve differs in colour AND style).

    Args:
        steps: (S,) positive steps h. curves: dict label -> (S,) positive errors.
        ax: Axes (default: the current one).
        guides: dict curve label -> (h, text): a dotted vertical line at h, in that curve's
            colour, with text at the bottom (e.g. the theoretical best step).
        mark: (curve label, h, text): a star on that curve at the grid step nearest h,
            with text as its legend entry (e.g. the step to use).
    Returns:
        the Axes: ax.lines holds the curves in order, then the guides, then the mark.
    """
    h = _numpy(steps, "steps", "plot_error_vs_step", ndim=1).astype(np.float64)
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(f"plot_error_vs_step expected a non-empty dict label -> errors, got "
                        f"{type(curves).__name__}")
    ax = _axes(ax)
    lines = {}
    for label, errors in curves.items():
        e = _numpy(errors, f"curves[{label!r}]", "plot_error_vs_step")
        if e.shape != h.shape:
            raise ValueError(f"plot_error_vs_step expected curves[{label!r}] of steps' shape "
                             f"{h.shape}, got {e.shape}")
        lines[label] = ax.loglog(h, e, label=label)[0]
    for label, (h_guide, text) in (guides or {}).items():
        color = lines[label].get_color()
        ax.axvline(h_guide, color=color, linestyle=":", linewidth=1)
        ax.text(h_guide * 1.3, 0.02, text, color=color, transform=ax.get_xaxis_transform())
    if mark is not None:
        label, h_mark, text = mark
        i = _nearest_step(h, h_mark)
        y = lines[label].get_ydata()[i]
        ax.plot([h[i]], [y], marker="*", markersize=14, color="black", linestyle="none",
                label=text)
    ax.set_xlabel("step h")
    ax.set_ylabel("error")
    ax.legend(loc="lower left")
    return ax


def plot_function_and_derivative(f: Callable, df: Callable, x: torch.Tensor, ax=None,
                                 labels: tuple[str, str] = ("f(x)", "f'(x)")):
    """Plot y = f(x) (solid) and its derivative df(x) (dashed) on the same Axes.

    Args:
        f, df: element-wise functions of a tensor, e.g. torch.tanh and 1 - tanh(x)^2.
        x: (M,) sorted points where both are drawn, e.g. torch.linspace(-3, 3, 200).
        ax: Axes to draw on (default: the current one). labels: legend entries.
    Returns:
        the Axes, with exactly two lines: f then df.
    """
    x_np = _numpy(x, "x", "plot_function_and_derivative", ndim=1)
    ax = _axes(ax)
    for fn, label, style in ((f, labels[0], "-"), (df, labels[1], "--")):
        y = fn(x)
        if not isinstance(y, torch.Tensor) or y.shape != x.shape:
            got = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
            raise ValueError(f"plot_function_and_derivative expected {label} to return a "
                             f"tensor of x's shape {tuple(x.shape)}, got {got}")
        ax.plot(x_np, _numpy(y, label, "plot_function_and_derivative"), style, label=label)
    ax.grid(True, alpha=0.3)
    ax.set_xlabel("x")
    ax.legend()
    return ax


def _history_values(history: Mapping, key) -> np.ndarray:
    if key not in history:
        raise KeyError(f"plot_history: no key {key!r} in history, which has {list(history)}")
    values = np.asarray(torch.as_tensor(history[key], dtype=torch.float64))
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"plot_history expected history[{key!r}] to be a non-empty list of "
                         f"numbers (one per epoch), got shape {values.shape}")
    return values


def _history_ylabel(keys) -> str:
    if all(k.endswith("loss") for k in keys):
        return "loss"
    return "accuracy" if all(k.endswith("acc") for k in keys) else "value"


def plot_history(history: Mapping, ax=None, keys=None):
    """Training curves: one line per key, value against epoch 1, 2, ...

    The format is what course_utils.training.fit returns: a dict of lists with
    one number per epoch, e.g. {"loss": [...], "acc": [...], "val_loss": [...],
    "val_acc": [...]}. A "val_<key>" curve is dashed, in the colour of "<key>".
    Loss and accuracy have different scales: plot them on two Axes with
    ``keys=("loss", "val_loss")`` and ``keys=("acc", "val_acc")``.

    Args:
        history: dict name -> sequence (or 1-D tensor) of numbers, length T >= 1.
        ax: Axes to draw on (default: the current one). keys: names to plot (default all).
    Returns:
        the Axes, one line per key in keys order.
    """
    if not isinstance(history, Mapping) or not history:
        raise TypeError(f"plot_history expected a non-empty dict name -> list, got {history!r}")
    keys = list(history) if keys is None else list(keys)
    ax = _axes(ax)
    colors = {}
    for key in keys:
        values = _history_values(history, key)
        base = key.removeprefix("val_")
        line, = ax.plot(np.arange(1, values.size + 1), values, "--" if key != base else "-",
                        color=colors.get(base), label=key)
        colors.setdefault(base, line.get_color())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(_history_ylabel(keys))
    ax.legend()
    return ax


def _check_points(X: torch.Tensor, y: torch.Tensor, where: str) -> None:
    if not isinstance(X, torch.Tensor) or X.dim() != 2 or X.shape[1] != 2:
        got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
        raise ValueError(f"{where} expected X of shape (N, 2), got {got}")
    if not isinstance(y, torch.Tensor) or y.shape != X.shape[:1] or y.is_floating_point():
        got = f"{tuple(y.shape)} {y.dtype}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"{where} expected integer class ids y of shape ({X.shape[0]},), "
                         f"got {got}")


def _grid(X: np.ndarray, resolution: int, padding: float):
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    return np.meshgrid(xs, ys)  # each (resolution, resolution), x varies along columns


def _predict_grid(predict: Callable, xx: np.ndarray, yy: np.ndarray, dtype) -> np.ndarray:
    grid = torch.as_tensor(np.stack([xx.ravel(), yy.ravel()], axis=1), dtype=dtype)  # (M, 2)
    with torch.no_grad():
        ids = predict(grid)
    M = grid.shape[0]
    if not isinstance(ids, torch.Tensor) or ids.shape != (M,) or ids.is_floating_point():
        got = f"{tuple(ids.shape)} {ids.dtype}" if isinstance(ids, torch.Tensor) else repr(ids)
        raise ValueError(f"plot_decision_regions expected predict to return integer class ids "
                         f"of shape ({M},), got {got} (forgot .argmax(dim=1)?)")
    return _numpy(ids, "predict(grid)", "plot_decision_regions").reshape(xx.shape)


def plot_decision_regions(predict: Callable, X: torch.Tensor, y: torch.Tensor, ax=None,
                          resolution: int = 200, padding: float = 0.5, class_names=None):
    """Colour the plane by predicted class and scatter the points by true class.

    region(u, v) = predict([[u, v]]) on a resolution × resolution grid covering X
    plus ``padding`` on every side; a point whose colour differs from its region
    is misclassified.

    Args:
        predict: maps (M, 2) float tensor (X's dtype) -> (M,) integer class ids.
        X: (N, 2) features; y: (N,) integer class ids in 0..C-1.
        ax: Axes (default: the current one). class_names: C legend labels.
    Returns:
        the Axes: ax.collections[0] is the region mesh (values = grid predictions),
        then one scatter per class present in y.
    """
    _check_points(X, y, "plot_decision_regions")
    ax = _axes(ax)
    xx, yy = _grid(_numpy(X, "X", "plot_decision_regions"), resolution, padding)
    regions = _predict_grid(predict, xx, yy, X.dtype)
    labels = _numpy(y, "y", "plot_decision_regions")
    num_classes = int(max(regions.max(), labels.max())) + 1
    cmap = ListedColormap(COLORS[:num_classes])
    ax.pcolormesh(xx, yy, regions, cmap=cmap, vmin=-0.5, vmax=num_classes - 0.5, alpha=0.3,
                  shading="nearest")
    points = X.detach().cpu().numpy()
    for c in np.unique(labels):
        name = class_names[c] if class_names is not None else f"class {c}"
        ax.scatter(*points[labels == c].T, color=cmap(c), edgecolors="k", s=25, label=name)
    ax.legend()
    return ax


def plot_optimizer_paths(f: Callable, paths: Mapping, ax=None, levels=30, padding: float = 0.5,
                         resolution: int = 200, legend_loc: str | None = "best"):
    """Contours of a 2-D function with one line per optimizer path, its end marked.

    The window is the bounding box of all paths plus ``padding``, with equal
    scales on both axes so that gradients look perpendicular to the contours.
    Each path is drawn with small dots in the course's colour AND line style
    (use_course_style), and its last finite point with a larger square.

    Args:
        f: f(u, v) -> z, element-wise on tensors of the same shape, e.g.
            lambda u, v: u**2 + 10 * v**2.
        paths: dict name -> (T, 2) tensor of iterates (the first row is the start;
            rows of nan, a diverged run's, are left out).
        ax: Axes (default: the current one). levels: contour levels (int or list).
        resolution: grid points per axis for the contours (fewer draw faster).
        legend_loc: where the legend goes, as matplotlib's ``loc`` ("best" is slow
            for long paths: name a corner); None: no legend (another panel has it).
    Returns:
        the Axes, with one line per path (in dict order), then one end marker per
        path, and a contour set.
    """
    if not isinstance(paths, Mapping) or not paths:
        raise TypeError(f"plot_optimizer_paths expected a non-empty dict name -> (T, 2) "
                        f"tensor, got {type(paths).__name__}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"plot_optimizer_paths expected resolution as an int >= 2, "
                         f"got {resolution!r}")
    arrays = {name: _path(name, p) for name, p in paths.items()}
    ax = _axes(ax)
    points = np.concatenate(list(arrays.values()))
    uu, vv = _grid(points[np.isfinite(points).all(axis=1)], resolution, padding)
    with torch.no_grad():
        z = f(torch.as_tensor(uu), torch.as_tensor(vv))
    if not isinstance(z, torch.Tensor) or z.shape != uu.shape:
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(f"plot_optimizer_paths expected f(u, v) of shape {uu.shape}, got {got}")
    ax.contour(uu, vv, _numpy(z, "f(u, v)", "plot_optimizer_paths"), levels=levels,
               cmap="viridis", linewidths=0.8)
    lines = [ax.plot(xy[:, 0], xy[:, 1], marker="o", markersize=3, label=name)[0]
             for name, xy in arrays.items()]  # no format string: the style cycle applies
    for line, xy in zip(lines, arrays.values(), strict=True):
        end = xy[np.isfinite(xy).all(axis=1)][-1]
        ax.plot(*end, marker="s", markersize=7, color=line.get_color(), markeredgecolor="k",
                linestyle="none")
    ax.set_aspect("equal", adjustable="box")  # gradients look perpendicular to contours
    ax.set_xlabel("x₁")  # Unicode subscripts, not mathtext ("$x_1$"): no parser to load
    ax.set_ylabel("x₂")
    if legend_loc is not None:
        ax.legend(handles=lines, loc=legend_loc, title="square: last point")
    return ax


def _path(name, path: torch.Tensor) -> np.ndarray:
    if not isinstance(path, torch.Tensor):
        raise TypeError(f"plot_optimizer_paths expected paths[{name!r}] as a torch.Tensor of "
                        f"shape (T, 2), got {type(path).__name__} (use torch.as_tensor)")
    if path.dim() != 2 or path.shape[1] != 2 or path.shape[0] == 0 \
            or not torch.isfinite(path[0]).all():
        raise ValueError(f"plot_optimizer_paths expected paths[{name!r}] of shape (T, 2) with "
                         f"T >= 1 and a finite first point, got {tuple(path.shape)}")
    return path.detach().cpu().double().numpy()
