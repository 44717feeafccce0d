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
