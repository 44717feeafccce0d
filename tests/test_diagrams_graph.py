"""Tests for course_utils.diagrams.draw_graph (the autograd graph figure)."""

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.axes import Axes
from matplotlib.text import Annotation

from course_utils.diagrams import draw_graph

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def labels(ax):
    """Texts of the node boxes (arrows are Annotations, which matplotlib also keeps in texts)."""
    return [text.get_text() for text in ax.texts if not isinstance(text, Annotation)]


def worked_example():
    """out = mean(3 (x + 2)^2): the chain Mean <- Mul <- Pow <- Add <- leaf x."""
    x = torch.ones(2, 2, requires_grad=True)
    return x, (3 * (x + 2) ** 2).mean()


def test_returns_a_new_axes_when_none_is_given():
    _, out = worked_example()
    ax = draw_graph(out)
    assert isinstance(ax, Axes)


def test_draws_on_the_given_axes():
    _, out = worked_example()
    _, ax = plt.subplots()
    assert draw_graph(out, ax=ax) is ax


def test_labels_name_every_backward_node_and_the_leaf():
    x, out = worked_example()
    found = labels(draw_graph(out, names={"x": x}))
    for name in ["MeanBackward0", "MulBackward0", "PowBackward0", "AddBackward0"]:
        assert name in found, f"{name} missing from {found}"
    assert "AccumulateGrad\nx (2, 2)" in found, found


def test_unnamed_leaf_is_labelled_leaf_with_its_shape():
    w = torch.zeros(3, 1, requires_grad=True)
    found = labels(draw_graph((torch.ones(4, 3) @ w).sum()))
    assert found == ["SumBackward0", "MmBackward0", "AccumulateGrad\nleaf (3, 1)"]


def test_shared_leaf_is_drawn_once_below_both_branches():
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    out = (x * 2 + x.exp()).sum()
    texts = {t.get_text(): t for t in draw_graph(out).texts if not isinstance(t, Annotation)}
    leaves = [label for label in texts if label.startswith("AccumulateGrad")]
    assert len(leaves) == 1, f"x feeds two ops but must appear once, got {leaves}"
    leaf_y = texts[leaves[0]].get_position()[1]
    for branch in ["MulBackward0", "ExpBackward0"]:
        assert texts[branch].get_position()[1] > leaf_y, f"{branch} should be above the leaf"
    assert texts["SumBackward0"].get_position()[1] > texts["AddBackward0"].get_position()[1]


def test_one_arrow_per_edge():
    x, out = worked_example()
    ax = draw_graph(out, names={"x": x})
    arrows = [text for text in ax.texts if isinstance(text, Annotation)]
    assert len(arrows) == 4  # Mean->Mul->Pow->Add->AccumulateGrad; constants draw nothing


def test_leaf_tensor_raises_a_clear_value_error():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="expected a tensor with a grad_fn"):
        draw_graph(x)


def test_tensor_computed_without_grad_raises_value_error():
    with pytest.raises(ValueError, match=r"grad_fn=None \(requires_grad=False\)"):
        draw_graph(torch.ones(2) * 3)


def test_non_tensor_raises_type_error():
    with pytest.raises(TypeError, match="expected a torch.Tensor, got list"):
        draw_graph([1.0, 2.0])


# labels= : text beside nodes ------------------------------------------------------------


def label_texts(ax):
    """The labels written beside the nodes (Annotations with text; arrows have none)."""
    return {t.get_text(): t for t in ax.texts if isinstance(t, Annotation) and t.get_text()}


def boxes(ax):
    return {t.get_text().split("\n")[0]: t for t in ax.texts if not isinstance(t, Annotation)}


def extents(ax, *artists):
    ax.figure.canvas.draw()  # labels are placed relative to the boxes at draw time
    renderer = ax.figure.canvas.get_renderer()
    return [artist.get_window_extent(renderer) for artist in artists]


def test_a_label_by_kind_sits_right_of_a_centred_box_without_adding_arrows():
    x, out = worked_example()
    ax = draw_graph(out, names={"x": x}, labels={"PowBackward0": "2y", "AccumulateGrad": "4.5"})
    found = label_texts(ax)
    assert set(found) == {"2y", "4.5"}
    box, label = extents(ax, boxes(ax)["PowBackward0"], found["2y"])
    assert label.x0 >= box.x1, "a centred node's label goes to the right of its box"
    assert box.y0 <= (label.y0 + label.y1) / 2 <= box.y1, "and at the height of the box"
    arrows = [t for t in ax.texts if isinstance(t, Annotation) and not t.get_text()]
    assert len(arrows) == 4, "labels are not arrows: still one arrow per edge"


def test_a_node_left_of_centre_has_its_label_on_the_left():
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    out = (x * 2 + x.exp()).sum()  # MulBackward0 and ExpBackward0 share one row
    ax = draw_graph(out, labels={"MulBackward0": "sends 2", "ExpBackward0": "sends exp(x)"})
    found, drawn = label_texts(ax), boxes(ax)
    for kind, text in [("MulBackward0", "sends 2"), ("ExpBackward0", "sends exp(x)")]:
        box, label = extents(ax, drawn[kind], found[text])
        if drawn[kind].get_position()[0] < 0.5:
            assert label.x1 <= box.x0, f"{kind} is left of centre: its label goes on the left"
        else:
            assert label.x0 >= box.x1, f"{kind} is right of centre: its label goes on the right"


def test_a_kind_labels_every_node_of_that_kind_and_a_node_key_only_that_node():
    x = torch.ones(3, requires_grad=True)
    out = (x * 2 * 3).sum()  # two MulBackward0 nodes
    outer = out.grad_fn.next_functions[0][0]
    ax = draw_graph(out, labels={"MulBackward0": "mul"})
    assert [t.get_text() for t in ax.texts if t.get_text() == "mul"] == ["mul", "mul"]
    ax = draw_graph(out, labels={"MulBackward0": "mul", outer: "the outer one"})
    texts = [t.get_text() for t in ax.texts if isinstance(t, Annotation) and t.get_text()]
    assert sorted(texts) == ["mul", "the outer one"], "a node key wins over its kind"


@pytest.mark.parametrize("key", ["MulBackward", "AccumulateGrad ", torch.ones(1)])
def test_a_label_for_no_node_raises_before_drawing(key):
    x, out = worked_example()
    before = len(plt.get_fignums())
    with pytest.raises(ValueError, match=r"which is not a node of this graph.*'AddBackward0'"):
        draw_graph(out, labels={key: "?"})
    assert len(plt.get_fignums()) == before, "no empty figure left behind"


def test_a_node_of_another_graph_is_not_a_node_of_this_one():
    _, out = worked_example()
    _, other = worked_example()
    with pytest.raises(ValueError, match="not a node of this graph"):
        draw_graph(out, labels={other.grad_fn: "?"})
