"""Tests for course_utils.surfaces: values, gradients against autograd, run_optimizer."""

import pytest
import torch

from course_utils.optim import SGD
from course_utils.surfaces import Quadratic, Rosenbrock, run_optimizer

X = torch.tensor([-1.3, 0.7], dtype=torch.float64)


@pytest.mark.parametrize(
    "surface", [Quadratic(), Quadratic(3.0, 0.5), Rosenbrock(), Rosenbrock(10.0)]
)
def test_gradient_equals_autograd_and_grid_equals_call(surface):
    x = X.clone().requires_grad_(True)
    surface(x).backward()
    torch.testing.assert_close(surface.grad(X), x.grad, rtol=1e-12, atol=1e-12)
    u, v = (
        torch.tensor([[-1.3, 2.0]], dtype=torch.float64),
        torch.tensor([[0.7, -1.0]], dtype=torch.float64),
    )
    torch.testing.assert_close(surface.on_grid(u, v)[0, 0], surface(X))


def test_hand_values_and_minima():
    assert Quadratic()(torch.tensor([1.0, 1.0], dtype=torch.float64)).item() == pytest.approx(2.1)
    assert Quadratic().condition_number == pytest.approx(20.0)
    assert Rosenbrock()(torch.tensor(Rosenbrock.minimum, dtype=torch.float64)).item() == 0.0
    assert Rosenbrock().grad(torch.tensor([1.0, 1.0], dtype=torch.float64)).abs().max() == 0


def test_run_optimizer_follows_the_gradient_descent_formula():
    path, values = run_optimizer(
        lambda ps: SGD(ps, lr=0.4), Quadratic(), torch.tensor([10.0, 1.0], dtype=torch.float64), 5
    )
    assert path.shape == (6, 2) and values.shape == (6,)
    t = torch.arange(6, dtype=torch.float64)
    torch.testing.assert_close(path[:, 0], 10 * 0.92**t)
    torch.testing.assert_close(path[:, 1], (-0.6) ** t)
    torch.testing.assert_close(values, 0.1 * path[:, 0] ** 2 + 2 * path[:, 1] ** 2)


def test_run_optimizer_with_torch_optim_gives_the_same_path():
    start = torch.tensor([-1.0, 1.5], dtype=torch.float64)
    ours, _ = run_optimizer(lambda ps: SGD(ps, lr=1e-3, momentum=0.9), Rosenbrock(), start, 20)
    theirs, _ = run_optimizer(
        lambda ps: _TorchOnData(ps, lr=1e-3, momentum=0.9), Rosenbrock(), start, 20
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


class _TorchOnData:
    """torch.optim.SGD stepping a course Parameter's data through a leaf tensor sharing it."""

    def __init__(self, params, **kwargs):
        self.params = params
        self.leaves = [torch.nn.Parameter(p.data) for p in params]  # shares storage
        self.opt = torch.optim.SGD(self.leaves, **kwargs)

    def step(self):
        for p, q in zip(self.params, self.leaves, strict=True):
            q.grad = p.grad.clone()
        self.opt.step()


def test_a_diverging_run_keeps_going_with_nan_or_inf():
    path, values = run_optimizer(
        lambda ps: SGD(ps, lr=10.0), Quadratic(), torch.tensor([1.0, 1.0], dtype=torch.float64), 250
    )
    assert not torch.isfinite(values[-1])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Quadratic(0.0, 1.0), "curvatures a > 0"),
        (lambda: Rosenbrock(-1.0), "b > 0"),
        (
            lambda: Quadratic()(torch.zeros(3)),
            r"shape \(2,\), got torch.float32 tensor of shape \(3,\)",
        ),
        (lambda: Quadratic().grad(torch.tensor([1, 2])), "floating-point point"),
        (lambda: Rosenbrock()(torch.tensor([float("nan"), 0.0])), "nan or inf"),
        (lambda: run_optimizer(lambda ps: SGD(ps, lr=0.1), Quadratic(), [1.0, 2.0], 3), "got list"),
        (lambda: run_optimizer(lambda ps: SGD(ps, lr=0.1), Quadratic(), X, 2.5), "steps as an int"),
    ],
)
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_diverging_rosenbrock_run_ends_in_nan_or_inf_without_an_exception():
    start = torch.tensor([-1.5, 2.0], dtype=torch.float64)
    _, values = run_optimizer(lambda ps: SGD(ps, lr=0.1), Rosenbrock(), start, 50)
    assert not torch.isfinite(values[-1])
