"""Diagrams that teach: figures of shapes and graphs drawn with matplotlib only.

``draw_broadcast`` shows how two shapes line up under broadcasting (notebook 00);
``draw_graph`` draws the backward graph autograd records for a tensor, optionally
with a label beside each node (notebook 02).
Each takes ``ax=None`` (a new figure if None), returns the Axes and never calls
``plt.show()``.
"""

import numbers

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.patches import Patch, Rectangle

from course_utils.plotting import COLORS

# draw_broadcast (notebook 00) --------------------------------------------------------

def _lighten(colour, amount):
    """``colour`` mixed with white: amount 0 keeps it, 1 gives white."""
    return tuple(1 - (1 - c) * (1 - amount) for c in to_rgb(colour))


# face colour and legend label of each kind of cell in draw_broadcast: the course palette,
# lightened so black text stays readable; every pair stays apart under simulated red-green
# and blue-yellow colour blindness (tests/test_diagrams.py), and "missing" is also dashed
_CELL_STYLE = {
    "kept": ("white", "size kept"),
    "stretched": (_lighten(COLORS[1], 0.6), "size 1, stretched"),     # orange
    "missing": (_lighten(COLORS[5], 0.45), "missing: read as 1, stretched"),  # sky blue
    "clash": (_lighten(COLORS[3], 0.3), "sizes clash: error"),        # vermillion
    "result": (_lighten(COLORS[2], 0.3), "result"),                   # bluish green
}
_LEGEND = dict(loc="upper center", bbox_to_anchor=(0.5, 0.05), ncol=2, fontsize=8, frameon=False)


def _line_style(kind):
    return "--" if kind == "missing" else "-"


def _as_shape(shape, name):
    """Return ``shape`` as a tuple of ints; ValueError naming ``name`` if it is not a shape."""
    ok = isinstance(shape, tuple | list) and all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 0 for n in shape
    )
    if not ok:
        raise ValueError(
            f"draw_broadcast expected {name} to be a tuple of non-negative ints such as "
            f"(4, 3) or a torch.Size, got {shape!r}"
        )
    return tuple(int(n) for n in shape)


def _broadcast_columns(shape_a, shape_b):
    """Right-align two shapes: (size_a, size_b, out) per dim; None = missing, out None = clash."""
    ndim = max(len(shape_a), len(shape_b))
    a = (None,) * (ndim - len(shape_a)) + shape_a
    b = (None,) * (ndim - len(shape_b)) + shape_b
    columns = []
    for size_a, size_b in zip(a, b, strict=True):
        na, nb = 1 if size_a is None else size_a, 1 if size_b is None else size_b
        out = nb if na == 1 else na if nb in (1, na) else None
        columns.append((size_a, size_b, out))
    return columns


def _operand_cell(size, out):
    """Kind and text of an operand's cell of ``size`` in a column whose result is ``out``."""
    if out is None:
        return "clash", str(size)
    if size is None:
        return "missing", f"(1)→{out}"
    if size == 1 and out != 1:
        return "stretched", f"1→{out}"
    return "kept", str(size)


def _rows(shape_a, shape_b, columns, names):
    """(label, cells) for the rows a, b and result, each cell a (kind, text) per column."""
    result = [("clash", "?") if out is None else ("result", str(out)) for _, _, out in columns]
    return [
        (f"{names[0]} {shape_a}", [_operand_cell(a, out) for a, _, out in columns]),
        (f"{names[1]} {shape_b}", [_operand_cell(b, out) for _, b, out in columns]),
        ("result", result),
    ]


def _as_names(names, dim_names, ndim):
    """Check the optional row and column names; return (names, dim_names) with defaults."""
    names = ("a", "b") if names is None else names
    if not (isinstance(names, tuple | list) and len(names) == 2
            and all(isinstance(n, str) for n in names)):
        raise ValueError("draw_broadcast expected names to be two strings, one per operand, "
                         f"such as ('A.unsqueeze(-1)', 'B.unsqueeze(0)'), got {names!r}")
    if dim_names is not None and not (isinstance(dim_names, tuple | list) and len(dim_names) == ndim
                                      and all(isinstance(n, str) for n in dim_names)):
        raise ValueError(f"draw_broadcast expected dim_names to be {ndim} strings, one per "
                         f"dimension of the result, such as ('n', 'k', 'm'), got {dim_names!r}")
    return tuple(names), dim_names


def _title(shape_a, shape_b, columns):
    """The result shape, or the first dim that clashes; and whether it is an error."""
    for n, (size_a, size_b, out) in enumerate(columns):
        if out is None:
            dim = n - len(columns)
            return f"{shape_a} with {shape_b}: error, {size_a} vs {size_b} in dim {dim}", True
    return f"{shape_a} with {shape_b} → {tuple(out for _, _, out in columns)}", False


def draw_broadcast(shape_a, shape_b, ax=None, names=None, dim_names=None):
    """Draw how two shapes broadcast: right-aligned, stretched dims marked, result or clash.

    Rule: align the shapes on the right and read a missing dim as 1; in each column
    the sizes must be equal or one of them 1, and out = max(size_a, size_b) (the
    size 1 is stretched). Incompatible shapes are drawn as the error (clashing
    column in red, "?" as its result); they do not raise.

    Args:
        shape_a, shape_b: shapes (tuples of non-negative ints, or torch.Size).
        ax: Axes to draw on; a new figure if None.
        names: optional two row labels, e.g. ("A.unsqueeze(-1)", "B.unsqueeze(0)");
            default ("a", "b").
        dim_names: optional name of each dimension of the result, e.g. ("n", "k", "m"),
            written above its column with the dim number.

    Returns:
        The Axes.
    """
    shape_a, shape_b = _as_shape(shape_a, "shape_a"), _as_shape(shape_b, "shape_b")
    if ax is not None and not isinstance(ax, Axes):
        raise ValueError(f"draw_broadcast expected ax to be a matplotlib Axes or None, got {ax!r}")
    columns = _broadcast_columns(shape_a, shape_b)
    names, dim_names = _as_names(names, dim_names, len(columns))
    rows = _rows(shape_a, shape_b, columns, names)
    margin = 0.8 + 0.13 * max(len(label) for label, _ in rows)  # room for the row labels
    if ax is None:
        _, ax = plt.subplots(figsize=(0.9 * (len(columns) + margin), 2.4))
    for y, (label, cells) in zip((2, 1, 0), rows, strict=True):
        ax.text(-0.6, y, label, ha="right", va="center", fontsize=10)
        for x, (kind, text) in enumerate(cells):
            box = Rectangle((x - 0.45, y - 0.33), 0.9, 0.66, fc=_CELL_STYLE[kind][0], ec="0.2",
                            ls=_line_style(kind), label=kind)
            ax.add_patch(box)
            ax.text(x, y, text, ha="center", va="center", fontsize=10)
    _finish(ax, len(columns), dim_names, margin, *_title(shape_a, shape_b, columns))
    return ax


def _finish(ax, ndim, dim_names, margin, title, error):
    """Dim names above the columns, title, legend of the kinds of cell drawn, axes hidden."""
    for x in range(ndim):
        ax.text(x, 2.42, f"dim {x - ndim}", ha="center", va="bottom", fontsize=8, color="0.4")
        if dim_names is not None:
            ax.text(x, 2.68, dim_names[x], ha="center", va="bottom", fontsize=10)
    ax.set_title(title, fontsize=10, color=COLORS[3] if error else "black")
    drawn = {patch.get_label() for patch in ax.patches}
    handles = [Patch(fc=c, ec="0.2", ls=_line_style(k), label=s)
               for k, (c, s) in _CELL_STYLE.items() if k in drawn]
    ax.legend(handles=handles, **_LEGEND)
    top = 2.75 if dim_names is None else 3.05
    ax.set(xlim=(-margin, max(ndim, 1) - 0.4), ylim=(-0.5, top), aspect="equal")
    ax.axis("off")


# draw_graph (notebook 02) ------------------------------------------------------------


def _backward_graph(root):
    """Walk ``next_functions`` from ``root``; return nodes (first-seen order) and edges.

    Edges point from a node to the node it sends a gradient to; ``None`` entries
    (inputs that need no gradient, such as Python constants) are skipped.
    """
    nodes, edges, stack = [root], [], [root]
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            if (node, child) not in edges:
                edges.append((node, child))
            if child not in nodes:
                nodes.append(child)
                stack.append(child)
    return nodes, edges


def _longest_path_depth(nodes, edges):
    """Depth of each node = length of the longest path to it from the first node.

    Placing a node below every node that feeds it makes every arrow point down.
    """
    depth = {node: 0 for node in nodes}
    for _ in nodes:  # Bellman-Ford style relaxation; the graph is acyclic
        for parent, child in edges:
            depth[child] = max(depth[child], depth[parent] + 1)
    return depth


_LABEL_COLOR = COLORS[3]  # vermillion: the labels beside the boxes, not the boxes themselves


def _node_kind(node):
    """The name drawn for a node: "torch::autograd::AccumulateGrad" -> "AccumulateGrad"."""
    return node.name().split("::")[-1]


def _graph_label(node, names):
    """Name of a backward node; for a leaf, also its variable name (if known) and shape."""
    variable = getattr(node, "variable", None)
    kind = _node_kind(node)
    if variable is None:
        return kind
    name = next((key for key, value in names.items() if value is variable), "leaf")
    return f"{kind}\n{name} {tuple(variable.shape)}"


def _layout(nodes, edges, depth):
    """Position (x, y) of each node, with y = -depth and x spread over (0, 1).

    Within a row, nodes are ordered by the mean x of the nodes that feed them, which
    keeps arrows from crossing in the chains and diamonds small graphs are made of.
    """
    parents = {node: [p for p, c in edges if c is node] for node in nodes}
    rows, xy = {}, {}
    for node in nodes:
        rows.setdefault(depth[node], []).append(node)
    for row in sorted(rows):
        mean_x = {n: sum(xy[p][0] for p in parents[n]) / max(len(parents[n]), 1) for n in rows[row]}
        for i, node in enumerate(sorted(rows[row], key=mean_x.get)):
            xy[node] = ((i + 1) / (len(rows[row]) + 1), -row)
    return xy


def _place_nodes(ax, xy, names):
    """Write one boxed label per node at its position; return node -> Text."""
    boxes = {}
    for node, (x, y) in xy.items():
        leaf = getattr(node, "variable", None) is not None
        box = {"boxstyle": "round", "fc": "#cde5c8" if leaf else "#dbe6f4", "ec": "0.4"}
        boxes[node] = ax.text(x, y, _graph_label(node, names), ha="center", va="center",
                              fontsize=9, bbox=box)
    return boxes


def _node_labels(nodes, labels):
    """node -> text for the nodes ``labels`` names, by kind ("MulBackward0") or as a node.

    A key that names no node raises ValueError: a typo would otherwise draw nothing.
    """
    kinds = sorted({_node_kind(node) for node in nodes})
    for key in labels:
        if not (key in kinds if isinstance(key, str) else any(key is n for n in nodes)):
            raise ValueError(f"draw_graph got a label for {key!r}, which is not a node of this "
                             f"graph: a key is a node name, one of {kinds}, or a node such as "
                             "tensor.grad_fn")
    texts = {node: labels.get(node, labels.get(_node_kind(node))) for node in nodes}
    return {node: text for node, text in texts.items() if text is not None}


def _write_labels(ax, boxes, xy, texts):
    """Write each text beside its node's box, on the side away from the vertical centre line."""
    for node, text in texts.items():
        left = xy[node][0] < 0.5
        ax.annotate(text, xy=(0.0 if left else 1.0, 0.5), xycoords=boxes[node],
                    xytext=(-6 if left else 6, 0), textcoords="offset points",
                    ha="right" if left else "left", va="center", fontsize=9, color=_LABEL_COLOR)


def draw_graph(tensor, ax=None, names=None, labels=None):
    """Draw the backward graph autograd recorded for ``tensor``, output at the top.

    Starts at ``tensor.grad_fn`` and follows ``next_functions`` down to the
    ``AccumulateGrad`` nodes that write into the leaves' ``.grad``. A node sits one
    row below the lowest node that sends it a gradient, so arrows point the way
    gradients flow: from d out/d out = 1 at the top to d out/d leaf at the bottom.
    Constant inputs (``None`` in ``next_functions``) are not drawn.

    Args:
        tensor: any shape, with a ``grad_fn`` (computed from tensors that require grad).
        ax: Axes to draw on; a new figure if None.
        names: optional {"x": x, ...} to label the leaf tensors by their names.
        labels: optional {key: text} written in colour beside nodes, e.g. the gradient
            each node receives. A key is a node name as drawn ("MulBackward0",
            "AccumulateGrad"), which labels every node of that kind, or a node itself
            (``tensor.grad_fn``, an entry of ``next_functions``), which labels that one.
            A label sits on the outer side of its box: left of a node left of the
            centre, otherwise right.

    Returns:
        The Axes.
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"draw_graph expected a torch.Tensor, got {type(tensor).__name__}")
    if tensor.grad_fn is None:
        raise ValueError(
            "draw_graph expected a tensor with a grad_fn (the result of operations on tensors "
            f"with requires_grad=True), got a tensor of shape {tuple(tensor.shape)} with "
            f"grad_fn=None (requires_grad={tensor.requires_grad})"
        )
    nodes, edges = _backward_graph(tensor.grad_fn)
    texts = _node_labels(nodes, labels or {})  # before any drawing: a bad key leaves no figure
    depth = _longest_path_depth(nodes, edges)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 1.1 * (max(depth.values()) + 1)))
    xy = _layout(nodes, edges, depth)
    boxes = _place_nodes(ax, xy, names or {})
    _write_labels(ax, boxes, xy, texts)
    for parent, child in edges:
        ax.annotate("", xy=(0.5, 1), xycoords=boxes[child], xytext=(0.5, 0),
                    textcoords=boxes[parent], arrowprops={"arrowstyle": "->", "color": "0.3"})
    ax.set(xlim=(0, 1), ylim=(-max(depth.values()) - 0.5, 0.5))
    ax.set_title("Backward graph (gradients flow top to bottom)")
    ax.axis("off")
    return ax
