"""Tests for course_utils.plotting: each helper draws on the given Axes and checks its input."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils.plotting import (  # noqa: E402
    COLORS,
    LINESTYLES,
    plot_decision_regions,
    plot_error_vs_step,
    plot_function_and_derivative,
    plot_history,
    plot_jacobian,
    plot_optimizer_paths,
    use_course_style,
)


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def test_plot_jacobian_with_both_signs_is_diverging_centred_at_zero(ax):
    J = torch.tensor([[1.0, -3.0, 0.0], [0.5, 2.0, -1.0]], requires_grad=True)
    assert plot_jacobian(J, ax=ax, title="dout/dx") is ax
    image = ax.images[0]
    np.testing.assert_array_equal(image.get_array().data, J.detach().numpy())
    assert image.get_clim() == (-3.0, 3.0)
    assert image.get_cmap().name == "RdBu_r"
    assert len(ax.figure.axes) == 2  # the plot and its colorbar
    assert ax.figure.axes[1].get_ylabel() == "grey: exactly 0"
    assert ax.get_title() == "dout/dx"


def test_plot_jacobian_without_negative_entries_is_sequential_from_zero(ax):
    J = torch.diag(torch.tensor([0.0, 0.1, 2.0, 4.0], dtype=torch.float64))  # ReQU-like
    plot_jacobian(J, ax=ax)
    image = ax.images[0]
    assert image.get_cmap().name == "viridis"
    assert image.get_clim() == (0.0, 4.0)  # the whole scale for [0, max J], none wasted
    assert ax.figure.axes[1].get_ylabel() == "white: exactly 0"
    np.testing.assert_array_equal(ax.get_xticks(minor=True), np.arange(5) - 0.5)  # cell borders


@pytest.mark.parametrize("J", [torch.diag(torch.tensor([0.0, 1e-9, 2.0])),
                               torch.tensor([[0.0, -1e-9], [1e-9, 2.0]])])
def test_plot_jacobian_draws_exact_zeros_in_a_colour_the_scale_lacks(ax, J):
    plot_jacobian(J, ax=ax)
    image = ax.images[0]
    np.testing.assert_array_equal(np.ma.getmaskarray(image.get_array()), (J == 0).numpy())
    drawn = image.to_rgba(image.get_array())  # the colour of every entry, (2, 2, 4) or (3, 3, 4)
    zero, tiny = drawn[0, 0], image.to_rgba(np.array([[1e-9]]))[0, 0]
    assert not np.allclose(zero, tiny)  # a 1e-9 entry does not look like an exact zero
    scale = image.get_cmap()(np.linspace(0, 1, 256))  # every colour of the scale
    assert np.abs(scale - zero).sum(axis=1).min() > 0.1  # none of them is the zeros' colour


def test_plot_jacobian_names_the_zeros_colour_only_when_some_entry_is_exactly_zero(ax):
    plot_jacobian(torch.tensor([[1.0, -3.0], [0.5, 1e-9]]), ax=ax)  # no exact zero
    assert ax.figure.axes[1].get_ylabel() == ""
    assert not np.ma.getmaskarray(ax.images[0].get_array()).any()


def test_plot_jacobian_of_zeros_and_default_title(ax):
    plot_jacobian(torch.zeros(2, 4, dtype=torch.float64), ax=ax)
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert ax.get_title() == "Jacobian 2×4"


def test_plot_jacobian_refuses_nan(ax):
    with pytest.raises(ValueError, match="finite entries, got 1 nan or inf"):
        plot_jacobian(torch.tensor([[1.0, float("nan")]]), ax=ax)


def test_plot_jacobian_uses_the_current_axes_when_none_is_given():
    fig, ax = plt.subplots()
    assert plot_jacobian(torch.eye(3)) is ax
    plt.close(fig)


def test_plot_jacobian_blocks_put_ticks_at_block_starts_and_lines_between_blocks(ax):
    J = torch.block_diag(*[torch.ones(3, 4)] * 6)  # a batch of 6: 3 outputs, 4 inputs per sample
    plot_jacobian(J, ax=ax, blocks=(3, 4))
    np.testing.assert_array_equal(ax.get_xticks(), np.arange(0, 24, 4))
    np.testing.assert_array_equal(ax.get_yticks(), np.arange(0, 18, 3))
    xs, ys = [line.get_xdata() for line in ax.lines], [line.get_ydata() for line in ax.lines]
    vertical = sorted(x[0] for x in xs if x[0] == x[1])
    horizontal = sorted(y[0] for y in ys if y[0] == y[1])
    np.testing.assert_array_equal(vertical, np.arange(4, 24, 4) - 0.5)  # 5 lines between 6 blocks
    np.testing.assert_array_equal(horizontal, np.arange(3, 18, 3) - 0.5)


@pytest.mark.parametrize("blocks, match", [((3, 5), "do not divide it"),
                                           ((0, 4), "two positive integers"),
                                           (3, "two positive integers"),
                                           ((3.0, 4), "two positive integers")])
def test_plot_jacobian_refuses_blocks_that_do_not_tile_J(ax, blocks, match):
    with pytest.raises(ValueError, match=match):
        plot_jacobian(torch.ones(18, 24), ax=ax, blocks=blocks)


@pytest.mark.parametrize("bad", [torch.zeros(3), torch.zeros(2, 2, 2)])
def test_plot_jacobian_rejects_non_matrices(ax, bad):
    with pytest.raises(ValueError, match=r"J with 2 dimension\(s\), got shape"):
        plot_jacobian(bad, ax=ax)


def test_plot_function_and_derivative_draws_both_curves(ax):
    x = torch.linspace(-2, 2, 9)
    assert plot_function_and_derivative(torch.tanh, lambda t: 1 - torch.tanh(t) ** 2, x,
                                        ax=ax) is ax
    f_line, df_line = ax.lines
    np.testing.assert_allclose(f_line.get_ydata(), np.tanh(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(df_line.get_ydata()[4], 1.0)  # tanh'(0) = 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f(x)", "f'(x)"]


def test_plot_function_and_derivative_rejects_bad_shapes(ax):
    with pytest.raises(ValueError, match=r"x with 1 dimension\(s\), got shape \(2, 3\)"):
        plot_function_and_derivative(torch.sin, torch.cos, torch.zeros(2, 3), ax=ax)
    with pytest.raises(ValueError, match=r"f'\(x\) to return a tensor of x's shape \(5,\), got"):
        plot_function_and_derivative(torch.sin, lambda t: t.sum(), torch.zeros(5), ax=ax)


def test_plot_history_one_line_per_key_with_matching_validation_colour(ax):
    history = {"loss": [1.0, 0.5, 0.25], "acc": [0.3, 0.6, 0.9],
               "val_loss": [1.1, 0.7, 0.4], "val_acc": [0.2, 0.5, 0.8]}
    assert plot_history(history, ax=ax, keys=("loss", "val_loss")) is ax
    train, val = ax.lines
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(val.get_ydata(), [1.1, 0.7, 0.4])
    assert val.get_color() == train.get_color() and val.get_linestyle() == "--"
    assert ax.get_ylabel() == "loss" and ax.get_xlabel() == "epoch"


def test_plot_history_all_keys_by_default(ax):
    plot_history({"loss": torch.tensor([2.0, 1.0]), "acc": [0.5, 0.75]}, ax=ax)
    assert [line.get_label() for line in ax.lines] == ["loss", "acc"]
    assert ax.get_ylabel() == "value"


def test_plot_history_rejects_bad_input(ax):
    with pytest.raises(KeyError, match="no key 'val_loss' in history, which has \\['loss'\\]"):
        plot_history({"loss": [1.0]}, ax=ax, keys=["val_loss"])
    with pytest.raises(ValueError, match="non-empty list of numbers"):
        plot_history({"loss": []}, ax=ax)
    with pytest.raises(TypeError, match="non-empty dict"):
        plot_history([1.0, 2.0], ax=ax)


def _two_blobs():
    X = torch.tensor([[-1.0, -1.0], [-2.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    y = torch.tensor([0, 0, 1, 1])
    return X, y


def test_plot_decision_regions_mesh_holds_the_predictions(ax):
    X, y = _two_blobs()

    def predict(points):
        return (points.sum(dim=1) > 0).long()

    assert plot_decision_regions(predict, X, y, ax=ax, resolution=20,
                                 class_names=("left", "right")) is ax
    mesh, *scatters = ax.collections
    regions = np.asarray(mesh.get_array()).reshape(20, 20)
    assert regions[0, 0] == 0 and regions[-1, -1] == 1  # bottom-left and top-right corners
    assert len(scatters) == 2
    np.testing.assert_array_equal(scatters[1].get_offsets(), X[2:].numpy())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["left", "right"]


def test_plot_decision_regions_rejects_bad_shapes(ax):
    X, y = _two_blobs()
    with pytest.raises(ValueError, match=r"X of shape \(N, 2\), got \(4, 3\)"):
        plot_decision_regions(lambda p: p[:, 0].long(), torch.zeros(4, 3), y, ax=ax)
    with pytest.raises(ValueError, match=r"y of shape \(4,\), got \(3,\)"):
        plot_decision_regions(lambda p: p[:, 0].long(), X, y[:3], ax=ax)
    with pytest.raises(ValueError, match=r"shape \(100,\), got \(100, 2\).*argmax"):
        plot_decision_regions(lambda p: p, X, y, ax=ax, resolution=10)


def test_plot_optimizer_paths_one_line_per_path_over_contours(ax):
    paths = {"SGD": torch.tensor([[2.0, 1.0], [1.0, 0.5], [0.5, 0.25]]),
             "Adam": torch.tensor([[2.0, 1.0], [1.9, 0.9]], requires_grad=True)}
    assert plot_optimizer_paths(lambda u, v: u**2 + 10 * v**2, paths, ax=ax) is ax
    assert [line.get_label() for line in ax.lines[:2]] == ["SGD", "Adam"]  # then the end markers
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [2.0, 1.0, 0.5])
    assert len(ax.collections) >= 1  # the contour set


def test_plot_optimizer_paths_without_a_legend(ax):
    paths = {"SGD": torch.tensor([[2.0, 1.0], [1.0, 0.5]])}
    plot_optimizer_paths(lambda u, v: u**2 + v**2, paths, ax=ax, legend_loc=None)
    assert ax.get_legend() is None and ax.lines[0].get_label() == "SGD"


def test_plot_optimizer_paths_uses_the_style_cycle_marks_ends_and_skips_nan_rows():
    use_course_style()
    fig, ax = plt.subplots()  # after the style: the Axes takes its cycle when it is made
    paths = {"a": torch.tensor([[2.0, 1.0], [1.0, 0.5], [float("nan")] * 2]),
             "b": torch.tensor([[2.0, 1.0], [1.5, 0.2]])}
    plot_optimizer_paths(lambda u, v: u**2 + v**2, paths, ax=ax, legend_loc="lower left")
    a, b = ax.lines[0], ax.lines[1]
    assert a.get_linestyle() != b.get_linestyle() and a.get_marker() == "o"  # the cycle, not "o-"
    ends = [line for line in ax.lines if line.get_marker() == "s"]
    assert [end.get_xdata().tolist() for end in ends] == [[1.0], [1.5]]  # the last finite points
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    with pytest.raises(TypeError, match=r"paths\['a'\] as a torch.Tensor.*got ndarray"):
        plot_optimizer_paths(lambda u, v: u + v, {"a": np.zeros((2, 2))}, ax=ax)
    plt.close(fig)


def test_plot_optimizer_paths_rejects_bad_input(ax):
    with pytest.raises(ValueError, match=r"paths\['SGD'\] of shape \(T, 2\).*got \(3,\)"):
        plot_optimizer_paths(lambda u, v: u + v, {"SGD": torch.zeros(3)}, ax=ax)
    with pytest.raises(TypeError, match="non-empty dict"):
        plot_optimizer_paths(lambda u, v: u + v, {}, ax=ax)
    with pytest.raises(ValueError, match=r"f\(u, v\) of shape \(200, 200\), got \(\)"):
        plot_optimizer_paths(lambda u, v: (u + v).sum(), {"a": torch.zeros(2, 2)}, ax=ax)


def test_plot_error_vs_step_lines_guides_and_mark():
    with plt.rc_context():  # the course style for this test only
        use_course_style()
        fig, ax = plt.subplots()
    steps = torch.logspace(-8, 0, 9, dtype=torch.float64)
    curves = {"central": steps**2 + 1e-16 / steps, "forward": steps + 1e-16 / steps}
    assert plot_error_vs_step(steps, curves, ax=ax, guides={"central": (5e-6, "theory")},
                              mark=("central", 1e-6, "use h = 1e-6")) is ax
    central, forward, guide, mark = ax.lines
    np.testing.assert_allclose(forward.get_ydata(), curves["forward"].numpy())
    assert (central.get_color(), central.get_linestyle()) != (forward.get_color(),
                                                              forward.get_linestyle())
    assert central.get_color() == COLORS[0] and forward.get_color() == COLORS[1]
    assert forward.get_linestyle() == "--"
    assert guide.get_xdata()[0] == 5e-6 and guide.get_color() == central.get_color()
    np.testing.assert_allclose(mark.get_xdata(), [1e-6])
    np.testing.assert_allclose(mark.get_ydata(), [1e-12 + 1e-10])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "use h = 1e-6" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_error_vs_step_rejects_bad_input(ax):
    steps = torch.logspace(-3, 0, 4)
    with pytest.raises(ValueError, match=r"curves\['a'\] of steps' shape \(4,\), got \(3,\)"):
        plot_error_vs_step(steps, {"a": torch.ones(3)}, ax=ax)
    with pytest.raises(TypeError, match="non-empty dict"):
        plot_error_vs_step(steps, {}, ax=ax)


def test_course_style_pairs_each_colour_with_its_own_line_style():
    with plt.rc_context():
        use_course_style()
        cycle = list(matplotlib.rcParams["axes.prop_cycle"])
    assert [c["color"] for c in cycle] == list(COLORS)
    assert len({(c["color"], str(c["linestyle"])) for c in cycle}) == len(COLORS)
    assert len(LINESTYLES) == len(COLORS)


def test_plot_curves_and_lr_sweep_draw_one_line_per_name_and_mark_divergence():
    import matplotlib.pyplot as plt

    from course_utils.plot_optim import plot_curves, plot_lr_sweep
    fig, (ax1, ax2) = plt.subplots(1, 2)
    curves = {"a": torch.tensor([1.0, 0.1, 0.01]), "b": torch.tensor([1.0, float("inf")])}
    plot_curves(curves, ax=ax1)
    assert [line.get_label() for line in ax1.lines] == ["a", "b"] and ax1.get_yscale() == "log"
    assert torch.isnan(torch.tensor(ax1.lines[1].get_ydata())).tolist() == [False, True]
    finals = {"SGD": torch.tensor([1e-90, float("nan")])}
    plot_lr_sweep(torch.tensor([0.1, 1.0]), finals, ax=ax2, cap=10.0, floor=1e-6)
    marks = [line for line in ax2.lines if line.get_marker() == "x"]
    assert len(marks) == 1 and marks[0].get_ydata()[0] > 10.0  # above the cap
    assert ax2.lines[0].get_ydata()[0] == 1e-6  # clipped to the floor
    assert math.isnan(ax2.lines[0].get_ydata()[1])  # the diverged run: only its mark
    with pytest.raises(ValueError, match="0 < floor < cap"):
        plot_lr_sweep(torch.tensor([0.1, 1.0]), finals, ax=ax2, cap=1.0, floor=2.0)
    with pytest.raises(ValueError, match=r"finals\['SGD'\] of shape \(2,\)"):
        plot_lr_sweep(torch.tensor([0.1, 1.0]), {"SGD": torch.tensor([0.5])}, ax=ax2)
    with pytest.raises(ValueError, match="learning rates > 0"):
        plot_lr_sweep(torch.tensor([0.0, 1.0]), {"SGD": torch.tensor([0.5, 1.0])}, ax=ax2)
    with pytest.raises(TypeError, match="non-empty dict"):
        plot_curves({}, ax=ax1)
    with pytest.raises(TypeError, match=r"1-D torch.Tensor, got list \(use torch.as_tensor\)"):
        plot_curves({"a": [1.0, 2.0]}, ax=ax1)
    with pytest.raises(ValueError, match="non-empty 1-D tensor, got shape"):
        plot_curves({"a": torch.zeros(2, 2)}, ax=ax1)
    with pytest.raises(ValueError, match="final losses >= 0"):
        plot_lr_sweep(torch.tensor([0.1, 1.0]), {"SGD": torch.tensor([-0.5, 1.0])}, ax=ax2)
    plt.close(fig)


def test_plot_lr_sweep_sorts_rates_stacks_diverged_marks_and_counts_them():
    import matplotlib.pyplot as plt

    from course_utils.plot_optim import plot_lr_sweep
    fig, ax = plt.subplots()
    lrs = torch.tensor([1.0, 0.01, 0.1])  # unsorted
    finals = {"SGD": torch.tensor([float("nan"), 2.0, 1.0]), "Adam": torch.tensor([5e3, 3.0, 0.5])}
    plot_lr_sweep(lrs, finals, ax=ax, cap=10.0)
    lines = [line for line in ax.lines if line.get_marker() == "o"]
    assert lines[0].get_xdata().tolist() == pytest.approx([0.01, 0.1, 1.0])
    assert lines[0].get_ydata()[:2].tolist() == [2.0, 1.0]
    marks = [line for line in ax.lines if line.get_marker() == "x"]
    heights = [mark.get_ydata().tolist() for mark in marks]
    assert heights[0][0] > 10.0 and heights[1][0] > heights[0][0]  # a row per optimizer, above cap
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["SGD (1 diverged)", "Adam (1 diverged)"]
    dotted = [line for line in ax.lines if line.get_linestyle() == ":"]
    assert len(dotted) == 1  # the cap only: nothing was clipped to the floor
    plt.close(fig)


def test_plot_optimizer_paths_resolution_sets_the_contour_grid_and_is_checked():
    fig, ax = plt.subplots()
    path = torch.tensor([[1.0, 1.0], [0.5, 0.2]], dtype=torch.float64)
    seen = []

    def f(u, v):
        seen.append(tuple(u.shape))
        return u**2 + v**2

    plot_optimizer_paths(f, {"a": path}, ax=ax, resolution=50)
    assert seen == [(50, 50)]
    with pytest.raises(ValueError, match="resolution as an int >= 2, got 1"):
        plot_optimizer_paths(f, {"a": path}, ax=ax, resolution=1)
    plt.close(fig)
