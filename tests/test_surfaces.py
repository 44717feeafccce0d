"""Tests for course_utils.surfaces: values, gradients against autograd, run_optimizer."""

import numpy as np
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
        lambda ps: torch.optim.SGD(ps, lr=1e-3, momentum=0.9), Rosenbrock(), start, 20
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


def test_a_diverging_run_stops_at_its_first_non_finite_point_and_fills_nan():
    path, values = run_optimizer(
        lambda ps: SGD(ps, lr=10.0), Quadratic(), torch.tensor([1.0, 1.0], dtype=torch.float64), 250
    )
    finite = torch.isfinite(path).all(dim=1)
    last = int(finite.nonzero().max())
    assert 0 < last < 250 and finite[: last + 1].all() and path[last + 1 :].isnan().all()
    assert values[last + 1 :].isnan().all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Quadratic(0.0, 1.0), "finite a > 0"),
        (lambda: Rosenbrock(-1.0), "b > 0"),
        (
            lambda: Quadratic()(torch.zeros(3)),
            r"shape \(2,\), got torch.float32 tensor of shape \(3,\)",
        ),
        (lambda: Quadratic().grad(torch.tensor([1, 2])), "floating-point point"),
        (lambda: Rosenbrock()(torch.tensor([float("nan"), 0.0])), "nan or inf"),
        (lambda: run_optimizer(lambda ps: SGD(ps, lr=0.1), Quadratic(), X, 2.5), "steps as an int"),
    ],
)
def test_bad_input_raises_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Quadratic(float("inf"), 1.0), ValueError, "finite a > 0"),
        (lambda: Rosenbrock(float("inf")), ValueError, "finite b > 0"),
        (lambda: Quadratic("1", 2.0), TypeError, "a as a number, got str"),
        (lambda: Rosenbrock(True), TypeError, "b as a number, got bool"),
        (lambda: run_optimizer(lambda ps: SGD(ps, lr=0.1), Quadratic(), [1.0, 2.0], 3), TypeError,
         "got list"),
        (lambda: Quadratic()(np.zeros(2)), TypeError, r"got numpy.ndarray \(use torch.as_tensor\)"),
        (lambda: run_optimizer(SGD, Quadratic(), X, 3), TypeError,
         "a function params -> optimizer, .*got the class SGD"),
        (lambda: run_optimizer(lambda ps: SGD(ps, lr=0.1), lambda x: x @ x, X, 3), TypeError,
         "a surface with .grad and .on_grid"),
        (lambda: run_optimizer(lambda ps: 0.1, Quadratic(), X, 3), TypeError, "has no step"),
    ],
)
def test_bad_types_raise_a_type_error_and_infinite_curvatures_a_value_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_diverging_rosenbrock_run_ends_in_nan_or_inf_without_an_exception():
    start = torch.tensor([-1.5, 2.0], dtype=torch.float64)
    _, values = run_optimizer(lambda ps: SGD(ps, lr=0.1), Rosenbrock(), start, 50)
    assert not torch.isfinite(values[-1])
