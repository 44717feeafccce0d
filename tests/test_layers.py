"""Tests for course_utils.layers: hand cases, finite differences, torch.nn, bad input."""

import math

import numpy as np
import pytest
import torch
from torch.testing import assert_close

from course_utils.gradcheck import check_module
from course_utils.layers import (
    Dropout,
    Linear,
    LogSoftmax,
    ReLU,
    ReQU,
    Sequential,
    Sigmoid,
    Tanh,
)

# (our layer, its torch reference as a function of x); ReQU has no torch.nn twin,
# so autograd differentiates its formula instead.
ACTIVATIONS = {
    "ReLU": (ReLU, torch.relu),
    "Sigmoid": (Sigmoid, torch.sigmoid),
    "Tanh": (Tanh, torch.tanh),
    "ReQU": (ReQU, lambda x: torch.where(x > 0, x**2, torch.zeros_like(x))),
    "LogSoftmax": (LogSoftmax, lambda x: torch.log_softmax(x, dim=1)),
}
SHAPES = [(1, 5), (7, 3), (4, 3, 2)]


def linear_with(weight, bias):
    """A Linear whose parameters are set to the given values (copied)."""
    layer = Linear(weight.shape[1], weight.shape[0], bias=bias is not None).to(weight.dtype)
    layer.weight.data.copy_(weight)
    if bias is not None:
        layer.bias.data.copy_(bias)
    return layer


def torch_grads(f, x, grad_output):
    """Output of f at x and d(sum(f(x) * grad_output))/dx by autograd."""
    x = x.detach().clone().requires_grad_(True)
    out = f(x)
    out.backward(grad_output)
    return out.detach(), x.grad


# ---------------------------------------------------------------- hand-computed cases

def test_linear_hand_case():
    layer = linear_with(torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
                        torch.tensor([0.5, 0.0, -0.5]))
    out = layer(torch.tensor([[1.0, -1.0]]))
    assert out.tolist() == [[-0.5, -1.0, -1.5]]  # [1-2, 3-4, 5-6] + b
    dX = layer.backward(torch.tensor([[1.0, 0.0, 2.0]]))
    assert dX.tolist() == [[11.0, 14.0]]  # 1*[1, 2] + 2*[5, 6]
    assert layer.weight.grad.tolist() == [[1.0, -1.0], [0.0, 0.0], [2.0, -2.0]]
    assert layer.bias.grad.tolist() == [1.0, 0.0, 2.0]


@pytest.mark.parametrize("name, x, out, dx", [
    ("ReLU", [-1.0, 0.0, 2.0], [0.0, 0.0, 2.0], [0.0, 0.0, 1.0]),
    ("ReQU", [-2.0, 0.0, 3.0], [0.0, 0.0, 9.0], [0.0, 0.0, 6.0]),
    ("Sigmoid", [0.0, math.log(3.0)], [0.5, 0.75], [0.25, 0.1875]),  # s (1 - s)
    ("Tanh", [0.0, math.atanh(0.5)], [0.0, 0.5], [1.0, 0.75]),  # 1 - t^2
    ("LogSoftmax", [0.0, math.log(3.0)], [math.log(0.25), math.log(0.75)], [0.75, -0.75]),
])
def test_activation_hand_case(name, x, out, dx):
    layer = ACTIVATIONS[name][0]()
    x = torch.tensor([x], dtype=torch.float64)
    assert layer(x)[0].tolist() == pytest.approx(out, abs=1e-15)
    # grad_output = [1, 0, ...]: LogSoftmax mixes entries, the others do not
    grad_output = torch.ones_like(x) if name != "LogSoftmax" else torch.tensor([[1.0, 0.0]])
    assert layer.backward(grad_output.double())[0].tolist() == pytest.approx(dx, abs=1e-15)


# ---------------------------------------------------------------- finite differences

@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_finite_differences(name):
    torch.manual_seed(0)
    errors = check_module(ACTIVATIONS[name][0](), torch.randn(3, 4, dtype=torch.float64))
    assert list(errors) == ["input"] and errors["input"] < 1e-7


@pytest.mark.parametrize("module", [
    lambda: Linear(4, 3),
    lambda: Linear(4, 3, bias=False),
    lambda: Sequential(Linear(4, 3), Tanh(), Linear(3, 3), LogSoftmax()),
    lambda: Sequential(Linear(4, 3), Dropout(0.5), ReQU(), Linear(3, 2)),
], ids=["Linear", "Linear-no-bias", "Sequential", "Sequential-dropout"])
def test_module_finite_differences(module):
    torch.manual_seed(0)
    model = module()
    errors = check_module(model, torch.randn(3, 4, dtype=torch.float64))
    assert list(errors) == ["input"] + [n for n, _ in model.named_parameters()]
    assert max(errors.values()) < 1e-7


# ---------------------------------------------------------------- against torch.nn

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name, shape, dtype):
    torch.manual_seed(1)
    x, grad_output = torch.randn(shape, dtype=dtype), torch.randn(shape, dtype=dtype)
    ours, reference = ACTIVATIONS[name]
    layer = ours()
    out, dx = torch_grads(reference, x, grad_output)
    assert_close(layer(x), out)
    assert_close(layer.backward(grad_output), dx)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("batch_size, in_features, out_features",
                         [(1, 4, 3), (8, 5, 1), (32, 16, 7)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(batch_size, in_features, out_features, bias, dtype):
    torch.manual_seed(2)
    reference = torch.nn.Linear(in_features, out_features, bias=bias, dtype=dtype)
    layer = Linear(in_features, out_features, bias=bias).to(dtype)
    layer.load_state_dict(reference.state_dict())
    X = torch.randn(batch_size, in_features, dtype=dtype)
    grad_output = torch.randn(batch_size, out_features, dtype=dtype)
    out, dX = torch_grads(reference, X, grad_output)
    assert_close(layer(X), out)
    assert_close(layer.backward(grad_output), dX)
    assert_close(layer.weight.grad, reference.weight.grad)
    if bias:
        assert_close(layer.bias.grad, reference.bias.grad)


@pytest.mark.parametrize("seed", [0, 1, 123])
@pytest.mark.parametrize("in_features, out_features", [(4, 16), (16, 3), (784, 256), (1, 1)])
def test_linear_init_equals_torch_after_the_same_seed(seed, in_features, out_features):
    torch.manual_seed(seed)
    ours = Linear(in_features, out_features)
    ours_next = torch.rand(3)  # the generator must also be left in the same state
    torch.manual_seed(seed)
    reference = torch.nn.Linear(in_features, out_features)
    assert torch.equal(ours.weight.data, reference.weight.detach())
    assert torch.equal(ours.bias.data, reference.bias.detach())
    assert torch.equal(ours_next, torch.rand(3))
    bound = 1 / math.sqrt(in_features)
    assert ours.weight.data.abs().max() <= bound and ours.bias.data.abs().max() <= bound


def test_sequential_matches_torch_both_ways():
    torch.manual_seed(3)
    ours = Sequential(Linear(4, 16), ReLU(), Linear(16, 3))
    reference = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    X = torch.randn(120, 4)
    reference.load_state_dict(ours.state_dict())
    assert torch.equal(reference(X), ours(X))
    with torch.no_grad():
        for p in reference.parameters():
            p.mul_(-0.5)  # new values, so that loading back is visible
    ours.load_state_dict(reference.state_dict())
    assert torch.equal(reference(X), ours(X))
    grad_output = torch.randn(120, 3)
    _, dX = torch_grads(reference, X, grad_output)
    assert_close(ours.backward(grad_output), dX)
    for (name, p), (ref_name, ref) in zip(ours.named_parameters(), reference.named_parameters(),
                                          strict=True):
        assert name == ref_name
        assert_close(p.grad, ref.grad)


def test_sequential_slice_is_a_sequential_of_the_same_layers():
    torch.manual_seed(3)
    model = Sequential(Linear(4, 8), ReLU(), Linear(8, 3))
    features = model[:2]
    assert isinstance(features, Sequential) and features[0] is model[0] and len(features) == 2
    X = torch.randn(5, 4)
    assert torch.equal(model[2](features(X)), model(X))


# ---------------------------------------------------------------- accumulation

@pytest.mark.parametrize("model", [lambda: Linear(3, 2), lambda: Sequential(Linear(3, 4), Sigmoid(),
                                                                             Linear(4, 2))])
def test_two_backward_calls_add(model):
    torch.manual_seed(4)
    model = model()
    X, grad_output = torch.randn(6, 3), torch.randn(6, 2)
    model(X)
    model.backward(grad_output)
    once = [p.grad.clone() for p in model.parameters()]
    assert all(g.abs().sum() > 0 for g in once)
    model.backward(grad_output)
    for p, g in zip(model.parameters(), once, strict=True):
        assert_close(p.grad, 2 * g)
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_input_grad_false_skips_dX_but_not_the_parameter_grads():
    torch.manual_seed(5)
    model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    X, grad_output = torch.randn(6, 3), torch.randn(6, 2)
    model(X)
    model.backward(grad_output)
    full = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    assert model.backward(grad_output, input_grad=False) is None
    for p, g in zip(model.parameters(), full, strict=True):
        assert torch.equal(p.grad, g)


# ---------------------------------------------------------------- Dropout

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_drops_a_fraction_p_and_preserves_the_mean(p):
    torch.manual_seed(6)
    n = 40_000
    out = Dropout(p)(torch.ones(n))
    dropped = (out == 0).double().mean().item()
    assert torch.all((out == 0) | (out == 1 / (1 - p)))
    # binomial: standard error of the fraction sqrt(p (1-p) / n); of the mean of
    # out (variance p / (1-p) per entry) sqrt(p / ((1-p) n)); allow 5 of each
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / n)
    assert abs(out.double().mean().item() - 1) < 5 * math.sqrt(p / ((1 - p) * n))


def test_dropout_backward_uses_the_forward_mask():
    torch.manual_seed(7)
    layer = Dropout(0.4)
    x = torch.rand(50, 20) + 1  # no zeros, so out == 0 exactly where dropped
    out = layer(x)
    grad_output = torch.randn(50, 20)
    assert_close(layer.backward(grad_output), grad_output * (out != 0) / 0.6)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.9])
def test_dropout_matches_torch_with_the_same_seed(p):
    x, grad_output = torch.randn(64, 10), torch.randn(64, 10)
    torch.manual_seed(8)
    out, dx = torch_grads(torch.nn.Dropout(p), x, grad_output)
    torch.manual_seed(8)
    layer = Dropout(p)
    assert_close(layer(x), out)
    assert_close(layer.backward(grad_output), dx)


def test_dropout_eval_is_identity():
    layer = Dropout(0.5).eval()
    x = torch.randn(30, 4)
    assert torch.equal(layer(x), x)
    grad_output = torch.randn(30, 4)
    assert torch.equal(layer.backward(grad_output), grad_output)
    layer.train()
    assert (layer(x) == 0).any()


@pytest.mark.parametrize("p", [-0.1, 1, 1.5, float("nan"), True, "0.5"])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match=r"Dropout expected a drop probability p in \[0, 1\), got"):
        Dropout(p)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("shape, got", [((8, 3), r"\(8, 3\)"), ((4,), r"\(4,\)"),
                                        ((2, 8, 4), r"\(2, 8, 4\)")])
def test_linear_rejects_wrong_width_or_ndim(shape, got):
    with pytest.raises(ValueError, match=r"Linear expected input of shape \(N, 4\), got " + got):
        Linear(4, 2)(torch.randn(shape))


def test_linear_rejects_a_dtype_other_than_its_weight():
    with pytest.raises(TypeError, match=r"expected torch.float32 input .*got torch.float64"):
        Linear(4, 2)(torch.randn(3, 4, dtype=torch.float64))


@pytest.mark.parametrize("args", [(0, 3), (4, 2.5), (True, 3)])
def test_linear_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match=r"Linear (in|out)_features expected a positive int"):
        Linear(*args)


@pytest.mark.parametrize("make", [lambda: Linear(2, 2), ReLU, Sigmoid, Tanh, ReQU, LogSoftmax,
                                  Dropout, lambda: Sequential(Linear(2, 2), ReLU())])
def test_backward_before_forward_is_a_clear_error(make):
    layer = make()
    with pytest.raises(RuntimeError, match=r"backward called before .*forward"):
        layer.backward(torch.ones(1, 2))


@pytest.mark.parametrize("make", [lambda: Linear(2, 3), ReLU, Tanh, LogSoftmax, Dropout])
def test_grad_output_of_the_wrong_shape_is_rejected(make):
    layer = make()
    layer(torch.randn(4, 2))
    with pytest.raises(ValueError, match=r"expected grad_output of the output's shape \(4, \d\), "
                                         r"got \(4, 5\)"):
        layer.backward(torch.ones(4, 5))


def test_logsoftmax_rejects_a_missing_dim():
    with pytest.raises(ValueError, match=r"LogSoftmax\(dim=1\) expected .*got shape \(5,\)"):
        LogSoftmax()(torch.randn(5))


def test_sequential_rejects_non_modules_and_no_modules():
    with pytest.raises(TypeError, match=r"Sequential expected course Modules, got "
                                         r"torch.nn.modules.activation.ReLU at position 1"):
        Sequential(Linear(2, 2), torch.nn.ReLU())
    with pytest.raises(ValueError, match=r"at least one module"):
        Sequential()


# ---------------------------------------------------------------- large inputs

def test_logsoftmax_is_stable_for_huge_inputs():
    x = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]])
    out = LogSoftmax()(x)
    assert torch.isfinite(out).all()
    assert_close(out, torch.log_softmax(x, dim=1))


# ---------------------------------------------------------------- issue 8: clear dtype errors

@pytest.mark.parametrize("make", [lambda: Linear(2, 3), ReLU, Tanh, LogSoftmax, Dropout,
                                  lambda: Sequential(Linear(2, 4), Tanh(), Linear(4, 3))])
def test_grad_output_of_another_dtype_names_both_dtypes(make):
    # Linear.backward raised torch's raw addmm error; activations silently promoted to float64
    layer = make()
    out = layer(torch.randn(4, 2))
    with pytest.raises(TypeError, match=r"backward expected grad_output of the output's dtype "
                                        r"torch.float32, got torch.float64"):
        layer.backward(torch.ones(out.shape, dtype=torch.float64))


@pytest.mark.parametrize("p", [np.float64(0.5), np.float32(0.25), np.int64(0)])
def test_dropout_accepts_numpy_scalars(p):
    assert Dropout(p).p == float(p)
