"""Tests for course_utils.losses: hand cases, finite differences, torch.nn, bad input."""

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from course_utils.gradcheck import numerical_gradient, relative_error
from course_utils.losses import CrossEntropyLoss, MSELoss, MultiMarginLoss, NLLLoss

# our loss -> the torch.nn loss it must equal
REFERENCES = {
    MSELoss: torch.nn.MSELoss,
    CrossEntropyLoss: torch.nn.CrossEntropyLoss,
    NLLLoss: torch.nn.NLLLoss,
    MultiMarginLoss: torch.nn.MultiMarginLoss,
}
CLASS_LOSSES = [CrossEntropyLoss, NLLLoss, MultiMarginLoss]


def random_case(loss_cls, N, C, dtype=torch.float64, seed=0):
    """Random (input, target) suited to the loss: regression targets or class indices."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(N, C, generator=g, dtype=dtype)
    if loss_cls is MSELoss:
        return x, torch.randn(N, C, generator=g, dtype=dtype)
    if loss_cls is NLLLoss:
        x = torch.log_softmax(x, dim=1)  # NLL expects log-probabilities
    return x, torch.randint(0, C, (N,), generator=g)


# ---------------------------------------------------------------- hand-computed cases

@pytest.mark.parametrize("loss_cls, x, target, loss, dx", [
    # ((1-0)^2 + (3-1)^2) / 2 = 2.5; d/dx = 2 (x - t) / 2
    (MSELoss, [[1.0], [3.0]], [[0.0], [1.0]], 2.5, [[1.0], [2.0]]),
    # two equal logits: p = [1/2, 1/2], loss = log 2, grad = p - onehot
    (CrossEntropyLoss, [[0.0, 0.0]], [0], math.log(2), [[-0.5, 0.5]]),
    # p = [1/4, 3/4] (exp(log 3) = 3), loss = -log(3/4)
    (CrossEntropyLoss, [[0.0, math.log(3)]], [1], -math.log(0.75), [[0.25, -0.25]]),
    # -(-2 + -3) / 2 = 2.5; -1/N at each picked entry
    (NLLLoss, [[-1.0, -2.0], [-3.0, -4.0]], [1, 0], 2.5, [[0.0, -0.5], [-0.5, 0.0]]),
    # margins to class 0: 1 - 1 + 2 = 2 (active), 1 - 1 + 0 = 0 (inactive: not > 0)
    # loss = 2 / C with C = 3
    (MultiMarginLoss, [[1.0, 2.0, 0.0]], [0], 2 / 3, [[-1 / 3, 1 / 3, 0.0]]),
])
def test_hand_case(loss_cls, x, target, loss, dx):
    x = torch.tensor(x, dtype=torch.float64)
    target = torch.tensor(target, dtype=torch.float64 if loss_cls is MSELoss else torch.int64)
    loss_fn = loss_cls()
    value = loss_fn(x, target)
    assert value.shape == () and value.item() == pytest.approx(loss, abs=1e-15)
    assert loss_fn.backward().flatten().tolist() == pytest.approx(sum(dx, []), abs=1e-15)
    # the hand case also holds in torch, the boundary convention of the hinge included
    x = x.requires_grad_(True)
    REFERENCES[loss_cls]()(x, target).backward()
    assert x.grad.flatten().tolist() == pytest.approx(sum(dx, []), abs=1e-15)


# ---------------------------------------------------------------- finite differences

@pytest.mark.parametrize("N, C", [(1, 3), (5, 4)])
@pytest.mark.parametrize("loss_cls", REFERENCES)
def test_finite_differences(loss_cls, N, C):
    x, target = random_case(loss_cls, N, C, seed=N)
    loss_fn = loss_cls()
    loss_fn(x, target)
    analytic = loss_fn.backward().clone()
    numerical = numerical_gradient(lambda x_: loss_fn(x_, target), x)
    assert numerical.abs().max() > 0  # a loss that ignored x would pass trivially
    assert relative_error(analytic, numerical) < 1e-7


# ---------------------------------------------------------------- against torch.nn

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("N, C", [(1, 2), (1, 5), (7, 3), (64, 10)])
@pytest.mark.parametrize("loss_cls", REFERENCES)
def test_matches_torch(loss_cls, N, C, dtype):
    x, target = random_case(loss_cls, N, C, dtype=dtype, seed=N + C)
    loss_fn = loss_cls()
    value = loss_fn(x, target)
    x_ref = x.clone().requires_grad_(True)
    reference = REFERENCES[loss_cls]()(x_ref, target)
    reference.backward()
    assert value.shape == () and value.dtype == dtype
    assert_close(value, reference.detach())
    assert_close(loss_fn.backward(), x_ref.grad)


def test_mse_of_any_shape_averages_every_entry_as_torch():
    x, target = torch.randn(4, 3, 2), torch.randn(4, 3, 2)
    loss_fn = MSELoss()
    x_ref = x.clone().requires_grad_(True)
    torch.nn.MSELoss()(x_ref, target).backward()
    assert_close(loss_fn(x, target), torch.nn.functional.mse_loss(x, target))
    assert_close(loss_fn.backward(), x_ref.grad)


def test_mse_gradient_has_the_input_dtype_as_in_torch():
    # a float32 model with float64 targets: the loss is float64, but the gradient
    # goes back into float32 layers, so it must be float32 (as autograd makes it)
    x, target = torch.randn(5, 1), torch.randn(5, 1, dtype=torch.float64)
    loss_fn = MSELoss()
    x_ref = x.clone().requires_grad_(True)
    reference = torch.nn.MSELoss()(x_ref, target)
    reference.backward()
    assert_close(loss_fn(x, target), reference.detach())
    assert loss_fn.backward().dtype == torch.float32
    assert_close(loss_fn.backward(), x_ref.grad)


def test_logsoftmax_then_nll_equals_cross_entropy():
    logits, y = random_case(CrossEntropyLoss, 6, 4, seed=9)
    ce, nll = CrossEntropyLoss(), NLLLoss()
    assert_close(ce(logits, y), nll(torch.log_softmax(logits, dim=1), y))


@pytest.mark.parametrize("scale", [1e2, 1e4])
def test_cross_entropy_is_stable_for_huge_logits_in_float32(scale):
    g = torch.Generator().manual_seed(10)
    logits = torch.randn(16, 5, generator=g) * scale
    logits[0] = torch.tensor([scale, scale, -scale, 0.0, 0.0])  # a tie at the top
    y = torch.randint(0, 5, (16,), generator=g)
    loss_fn = CrossEntropyLoss()
    value = loss_fn(logits, y)
    logits_ref = logits.clone().requires_grad_(True)
    reference = torch.nn.CrossEntropyLoss()(logits_ref, y)
    reference.backward()
    assert torch.isfinite(value) and torch.isfinite(loss_fn.backward()).all()
    assert_close(value, reference.detach())
    assert_close(loss_fn.backward(), logits_ref.grad)


def test_backward_scales_by_an_upstream_gradient():
    x, target = random_case(CrossEntropyLoss, 4, 3)
    loss_fn = CrossEntropyLoss()
    loss_fn(x, target)
    first = loss_fn.backward()
    assert_close(loss_fn.backward(torch.tensor(0.5, dtype=x.dtype)), 0.5 * first)
    assert torch.equal(loss_fn.backward(), first)  # backward leaves the saved state intact


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("loss_cls", REFERENCES)
def test_backward_before_forward_is_a_clear_error(loss_cls):
    with pytest.raises(RuntimeError, match=rf"{loss_cls.__name__}.backward called before"):
        loss_cls().backward()


@pytest.mark.parametrize("target_shape, got", [((8,), r"\(8,\)"), ((1, 8), r"\(1, 8\)"),
                                               ((8, 2), r"\(8, 2\)")])
def test_mse_refuses_shapes_that_would_broadcast(target_shape, got):
    with pytest.raises(ValueError, match=r"MSELoss expected target of the input's shape \(8, 1\), "
                                         r"got " + got + ": broadcasting"):
        MSELoss()(torch.randn(8, 1), torch.randn(target_shape))


@pytest.mark.parametrize("bad_class", [3, -1])
@pytest.mark.parametrize("loss_cls", CLASS_LOSSES)
def test_class_targets_out_of_range_are_refused(loss_cls, bad_class):
    target = torch.tensor([0, bad_class, 2, 1])
    with pytest.raises(ValueError, match=rf"{loss_cls.__name__} expected class targets in \[0, 2\] "
                                         rf"for 3 classes, got values from {min(0, bad_class)} to "
                                         rf"{max(2, bad_class)}"):
        loss_cls()(torch.randn(4, 3), target)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int32])
@pytest.mark.parametrize("loss_cls", CLASS_LOSSES)
def test_class_targets_must_be_int64(loss_cls, dtype):
    with pytest.raises(TypeError, match=rf"expected int64 class indices as target, got {dtype}"):
        loss_cls()(torch.randn(4, 3), torch.tensor([0, 1, 2, 1], dtype=dtype))


@pytest.mark.parametrize("loss_cls", CLASS_LOSSES)
def test_class_losses_check_shapes(loss_cls):
    name = loss_cls.__name__
    with pytest.raises(ValueError, match=rf"{name} expected input of shape \(N, C\), got \(3,\)"):
        loss_cls()(torch.randn(3), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=rf"{name} expected target of shape \(4,\) for input "
                                         r"\(4, 3\), got \(4, 1\)"):
        loss_cls()(torch.randn(4, 3), torch.zeros(4, 1, dtype=torch.int64))


# ---------------------------------------------------------------- issue 8: no silent wrong answers

@pytest.mark.parametrize("grad_output", [torch.ones(3), torch.ones(1, 1), [2.0], "2"])
def test_backward_refuses_a_grad_output_that_is_not_a_scalar(grad_output):
    # torch: loss.backward(gradient) needs gradient of the loss's shape (); a (3,) one broadcast
    loss_fn = CrossEntropyLoss()
    loss_fn(torch.randn(3, 3), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss.backward expected grad_output as a "
                                         r"scalar \(d total / d loss, shape \(\)"):
        loss_fn.backward(grad_output)


def test_backward_accepts_python_and_numpy_scalars():
    loss_fn = CrossEntropyLoss()
    loss_fn(torch.randn(3, 3), torch.tensor([0, 1, 2]))
    first = loss_fn.backward()
    for scale in (2, 2.0, np.float64(2.0), np.float32(2.0), torch.tensor(2.0)):
        assert_close(loss_fn.backward(scale), 2 * first)


@pytest.mark.parametrize("dtype", [torch.complex64, torch.int64])
@pytest.mark.parametrize("side", ["input", "target"])
def test_mse_refuses_complex_and_integer_input(dtype, side):
    # complex input used to return -1 (torch: "mse_cpu" not implemented for 'ComplexFloat')
    real = torch.randn(4, 2)
    other = torch.ones(4, 2, dtype=dtype)
    args = (other, real) if side == "input" else (real, other)
    if side == "target" and dtype == torch.int64:
        assert_close(MSELoss()(*args), torch.nn.functional.mse_loss(*args))  # as torch
        return
    with pytest.raises(TypeError, match=rf"MSELoss expected a real floating-point {side}, "
                                        rf"got {dtype}"):
        MSELoss()(*args)


@pytest.mark.parametrize("loss_cls", REFERENCES)
def test_a_numpy_target_says_how_to_convert(loss_cls):
    x, target = random_case(loss_cls, 4, 3)
    with pytest.raises(TypeError, match=rf"{loss_cls.__name__} expected a torch.Tensor, got "
                                        r"numpy.ndarray \(use torch.as_tensor\)"):
        loss_cls()(x, target.numpy())
    with pytest.raises(TypeError, match=r"expected a torch.Tensor, got list \(use torch.tensor\)"):
        loss_cls()(x.tolist(), target)
