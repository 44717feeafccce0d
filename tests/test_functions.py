"""course_utils.functions: hand cases, gradcheck in float64, torch references, bad input."""

import numpy as np
import pytest
import torch

from course_utils.functions import GuidedReLU, LinearFunction, ReQUFunction, RoundSTE, SignSTE
from course_utils.layers import Linear, ReQU

KINK = torch.tensor([-1.5, -1e-3, 0.0, 1e-3, 0.7, 2.0], dtype=torch.float64)


def grad_of(function, x, grad_output, *args):
    x = x.clone().requires_grad_(True)
    (dx,) = torch.autograd.grad(function(x, *args), x, grad_output)
    return dx


def test_requ_hand_case_and_layer():
    x = torch.tensor([-2.0, 0.0, 3.0], dtype=torch.float64)
    assert grad_of(ReQUFunction.apply, x, torch.ones(3, dtype=torch.float64)).tolist() == [0, 0, 6]
    layer = ReQU()
    out = layer(x)
    torch.testing.assert_close(ReQUFunction.apply(x), out)
    g = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close(grad_of(ReQUFunction.apply, x, g), layer.backward(g))


def test_requ_gradcheck_and_gradgradcheck():
    assert torch.autograd.gradcheck(ReQUFunction.apply, (KINK.clone().requires_grad_(),))
    away = KINK[KINK.abs() > 1e-4].clone().requires_grad_()  # 2 [x > 0] jumps at 0
    assert torch.autograd.gradgradcheck(ReQUFunction.apply, (away,))


def test_linear_function_matches_course_linear_and_skips_unneeded():
    torch.manual_seed(0)
    layer = Linear(4, 3).to(dtype=torch.float64)
    X = torch.randn(5, 4, dtype=torch.float64)
    W, b = layer.weight.data.clone(), layer.bias.data.clone()
    torch.testing.assert_close(LinearFunction.apply(X, W, b), layer(X))
    g = torch.randn(5, 3, dtype=torch.float64)
    dX = layer.backward(g)
    leaves = [t.clone().requires_grad_() for t in (X, W, b)]
    LinearFunction.apply(*leaves).backward(g)
    for leaf, expected in zip(leaves, (dX, layer.weight.grad, layer.bias.grad), strict=True):
        torch.testing.assert_close(leaf.grad, expected)
    inputs = tuple(t.clone().requires_grad_() for t in (X, W, b))
    assert torch.autograd.gradcheck(LinearFunction.apply, inputs)
    assert torch.autograd.gradgradcheck(LinearFunction.apply, inputs)
    Wl = W.clone().requires_grad_()
    (dW,) = torch.autograd.grad(LinearFunction.apply(X, Wl, None).sum(), Wl)  # no bias, X data
    torch.testing.assert_close(dW, torch.ones(5, 3, dtype=torch.float64).T @ X)


def test_guided_relu_rule():
    x = torch.tensor([-1.0, -1.0, 0.0, 2.0, 2.0], dtype=torch.float64)
    g = torch.tensor([1.0, -1.0, 1.0, 3.0, -3.0], dtype=torch.float64)
    assert GuidedReLU.apply(x).tolist() == [0, 0, 0, 2, 2]
    assert grad_of(GuidedReLU.apply, x, g).tolist() == [0, 0, 0, 3, 0]


def test_straight_through_estimators():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 1.0, 2.5], dtype=torch.float64)
    g = torch.arange(1.0, 7.0, dtype=torch.float64)
    assert SignSTE.apply(x).tolist() == torch.sign(x).tolist()
    assert grad_of(SignSTE.apply, x, g).tolist() == [0, 2, 3, 4, 5, 0]
    assert grad_of(SignSTE.apply, x, g, 3.0).tolist() == g.tolist()
    assert RoundSTE.apply(x).tolist() == [-2, -0, 0, 0, 1, 2]  # half to even
    assert grad_of(RoundSTE.apply, x, g).tolist() == g.tolist()


def test_bad_input_is_refused():
    with pytest.raises(TypeError, match="expected a torch.Tensor"):
        ReQUFunction.apply([1.0, 2.0])
    with pytest.raises(TypeError, match="floating-point input, got torch.int64"):
        GuidedReLU.apply(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="positive number clip"):
        SignSTE.apply(torch.ones(2), 0.0)
    with pytest.raises(ValueError, match=r"X \(N, in\) and weight \(out, in\)"):
        LinearFunction.apply(torch.ones(2, 3), torch.ones(4, 2))
    with pytest.raises(ValueError, match=r"bias of shape \(4,\)"):
        LinearFunction.apply(torch.ones(2, 3), torch.ones(4, 3), torch.ones(3))
    X64 = torch.ones(2, 3, dtype=torch.float64)
    with pytest.raises(TypeError, match="weight of X's dtype torch.float64, got torch.float32"):
        LinearFunction.apply(X64, torch.ones(4, 3))
    with pytest.raises(TypeError, match="weight of X's dtype torch.float64, got torch.int64"):
        LinearFunction.apply(X64, torch.ones(4, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"Tensor as bias, got numpy.ndarray \(use torch.as_tensor"):
        LinearFunction.apply(X64, torch.ones(4, 3, dtype=torch.float64), np.ones(4))
    with pytest.raises(TypeError, match="bias of X's dtype torch.float64, got torch.float32"):
        LinearFunction.apply(X64, torch.ones(4, 3, dtype=torch.float64), torch.ones(4))


def test_calling_an_instance_fails():
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        instance = ReQUFunction()
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        instance(torch.ones(2))
