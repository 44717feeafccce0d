"""Unit tests for course_utils.plot_optim's log-axis labels (figures: test_plotting.py)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from course_utils.plot_optim import plot_curves, plot_lr_sweep, power_of_ten_label  # noqa: E402


def test_power_of_ten_label_is_plain_text_with_superscripts():
    assert power_of_ten_label(1e-3) == "10⁻³"
    assert power_of_ten_label(1.0) == "10⁰"
    assert power_of_ten_label(1e12) == "10¹²"
    assert power_of_ten_label(1e-85) == "10⁻⁸⁵"
    assert power_of_ten_label(0.0316) == "0.0316"  # between decades: %g
    assert power_of_ten_label(0.0) == "" and power_of_ten_label(float("nan")) == ""
    assert "$" not in power_of_ten_label(1e-3)  # no mathtext


def test_log_axes_use_plain_labels_and_no_minor_ticks():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    plot_curves({"a": torch.logspace(0, -9, 20)}, ax=ax1)
    plot_lr_sweep(torch.logspace(-3, 0, 4), {"SGD": torch.tensor([1.0, 1e-2, 1e-4, 1e9])}, ax=ax2)
    fig.canvas.draw()
    for axis in (ax1.yaxis, ax2.xaxis, ax2.yaxis):
        labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
        assert labels and not any("$" in label for label in labels), labels
        assert len(axis.get_minorticklocs()) == 0
    assert "10⁻³" in [t.get_text() for t in ax2.xaxis.get_ticklabels()]
    assert ax2.get_ylabel() == "final loss (x above 10³: diverged)"  # written as the ticks are
    plt.close(fig)
