"""Tests for course_utils.gradcheck: finite differences, relative error, Jacobians, check_module."""

import math
import warnings

import numpy as np
import pytest
import torch

from course_utils.gradcheck import (
    check_module,
    jacobian_backprop,
    jacobian_numerical,
    numerical_gradient,
    relative_error,
)
from course_utils.layers import Dropout, Linear, LogSoftmax, ReLU, Sequential, Tanh


class TinyParameter:
    def __init__(self, data):
        self.data = data
        self.grad = torch.zeros_like(data)


class TinyTanhLinear:
    """out = tanh(x @ W.T + b), with a correct backward; x (N, 3) -> out (N, 2)."""

    def __init__(self, seed=0):
        gen = torch.Generator().manual_seed(seed)
        self.weight = TinyParameter(torch.randn(2, 3, generator=gen))
        self.bias = TinyParameter(torch.randn(2, generator=gen))

    def named_parameters(self):
        yield "weight", self.weight
        yield "bias", self.bias

    def zero_grad(self):
        for _, p in self.named_parameters():
            p.grad.zero_()

    def to(self, device=None, dtype=None):
        for _, p in self.named_parameters():
            p.data, p.grad = p.data.to(device, dtype), p.grad.to(device, dtype)
        return self

    def forward(self, x):
        self.x = x
        self.out = torch.tanh(x @ self.weight.data.T + self.bias.data)
        return self.out

    def backward(self, grad_output):
        dz = grad_output * (1 - self.out**2)
        self.weight.grad += dz.T @ self.x
        self.bias.grad += dz.sum(0)
        return dz @ self.weight.data


class WrongWeightGrad(TinyTanhLinear):
    def backward(self, grad_output):
        dz = grad_output * (1 - self.out**2)
        self.weight.grad += grad_output.T @ self.x  # forgot the tanh derivative
        self.bias.grad += dz.sum(0)
        return dz @ self.weight.data


class WrongInputGrad(TinyTanhLinear):
    def backward(self, grad_output):
        super().backward(grad_output)
        return grad_output @ self.weight.data  # forgot the tanh derivative


class AssigningGrad(TinyTanhLinear):
    def backward(self, grad_output):
        dz = grad_output * (1 - self.out**2)
        self.weight.grad = dz.T @ self.x  # assigns: loses earlier gradients
        self.bias.grad += dz.sum(0)
        return dz @ self.weight.data


class TinyDropout:
    """Inverted dropout with p = 0.5 drawing its mask from torch's generator."""

    def named_parameters(self):
        return iter(())

    def zero_grad(self):
        pass

    def to(self, device=None, dtype=None):
        return self

    def forward(self, x):
        self.mask = (torch.rand(x.shape) > 0.5).to(x.dtype) * 2.0
        return x * self.mask

    def backward(self, grad_output):
        return grad_output * self.mask


def test_numerical_gradient_of_cube_at_hand_points():
    x = torch.tensor([-2.0, 0.0, 1.0, 3.0], dtype=torch.float64)
    grad = numerical_gradient(lambda t: (t**3).sum(), x)
    # d/dx x^3 = 3x^2; central differences are off by exactly eps^2 for a cubic
    torch.testing.assert_close(grad, torch.tensor([12.0, 0.0, 3.0, 27.0], dtype=torch.float64),
                               rtol=0, atol=1e-8)


def test_numerical_gradient_error_is_eps_squared_for_a_cubic():
    x = torch.tensor([0.5], dtype=torch.float64)
    grad = numerical_gradient(lambda t: (t**3).sum(), x, eps=1e-3)
    # ((x+h)^3 - (x-h)^3) / 2h = 3x^2 + h^2
    assert abs(grad.item() - (0.75 + 1e-6)) < 1e-12


def test_numerical_gradient_restores_x_bit_exactly_and_works_through_a_closure():
    x = torch.tensor([[0.1, 0.7, -1.3], [2.9, 1e-8, 3.3]], dtype=torch.float64)
    before = x.clone()
    # f ignores its argument and reads x through the closure, as a layer reads its weight
    grad = numerical_gradient(lambda _: (x.sin() * x).sum(), x, eps=1e-4)
    assert torch.equal(x, before)
    expected = before.sin() + before * before.cos()
    torch.testing.assert_close(grad, expected, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_of_a_non_contiguous_tensor_and_a_0_dim_tensor():
    base = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    x = base.T  # (3, 2), not contiguous
    grad = numerical_gradient(lambda t: (t**2).sum(), x)
    torch.testing.assert_close(grad, 2 * base.T, rtol=0, atol=1e-8)
    scalar = torch.tensor(2.0, dtype=torch.float64)
    assert numerical_gradient(lambda t: t**2, scalar).shape == ()


def test_numerical_gradient_rejects_bad_arguments():
    x = torch.ones(3, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"return a scalar, got a tensor of shape \(3,\)"):
        numerical_gradient(lambda t: t * 2, x)
    with pytest.raises(TypeError, match="floating-point x.*got torch.int64"):
        numerical_gradient(lambda t: t.sum(), torch.ones(3, dtype=torch.int64))
    with pytest.raises(TypeError, match="torch.Tensor as x, got list"):
        numerical_gradient(lambda t: t.sum(), [1.0, 2.0])
    with pytest.raises(ValueError, match="positive finite eps, got 0"):
        numerical_gradient(lambda t: t.sum(), x, eps=0)
    with pytest.raises(TypeError, match="return a number, got str"):
        numerical_gradient(lambda t: "1", x)


def test_relative_error_of_known_pairs():
    a = torch.tensor([1.0, 2.0])
    b = torch.tensor([1.0, 2.2])
    assert math.isclose(relative_error(a, b), 0.2 / 4.2, rel_tol=1e-6)
    assert relative_error(torch.tensor([1.0]), torch.tensor([-1.0])) == 1.0
    assert relative_error(torch.zeros(3), torch.zeros(3)) == 0.0
    assert relative_error(torch.zeros(2), torch.tensor([0.0, 1e-30])) == 1.0
    assert relative_error([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert math.isnan(relative_error(torch.tensor([math.nan]), torch.tensor([1.0])))


def test_relative_error_refuses_to_broadcast():
    with pytest.raises(ValueError, match=r"same shape, got \(2, 3\) and \(3,\)"):
        relative_error(torch.ones(2, 3), torch.ones(3))


def test_jacobians_agree_with_each_other_and_with_autograd():
    module = TinyTanhLinear().to(dtype=torch.float64)
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    J_backprop = jacobian_backprop(module, x)
    J_numerical = jacobian_numerical(module.forward, x)
    J_torch = torch.autograd.functional.jacobian(module.forward, x).reshape(8, 12)
    assert J_backprop.shape == (8, 12)
    assert relative_error(J_backprop, J_torch) < 1e-12
    assert relative_error(J_numerical, J_torch) < 1e-8
    # samples are independent: row i of the batch only depends on input row i
    assert J_backprop[0:2, 3:12].abs().max() == 0


def test_jacobian_backprop_leaves_parameter_grads_unchanged():
    module = TinyTanhLinear().to(dtype=torch.float64)
    module.weight.grad.fill_(0.5)
    jacobian_backprop(module, torch.ones(2, 3, dtype=torch.float64))
    assert torch.equal(module.weight.grad, torch.full((2, 3), 0.5, dtype=torch.float64))
    assert torch.equal(module.bias.grad, torch.zeros(2, dtype=torch.float64))


def test_jacobian_numerical_of_an_elementwise_square_is_diagonal():
    x = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    J = jacobian_numerical(lambda t: t**2, x)
    torch.testing.assert_close(J, torch.diag(2 * x), rtol=0, atol=1e-8)


def test_jacobian_numerical_clones_outputs_that_alias_x():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    J = jacobian_numerical(lambda t: t, x)  # identity returns x itself
    torch.testing.assert_close(J, torch.eye(2, dtype=torch.float64), rtol=0, atol=1e-8)


def test_jacobian_backprop_reports_a_wrong_grad_input_shape():
    class Flat(TinyTanhLinear):
        def backward(self, grad_output):
            return super().backward(grad_output).reshape(-1)

    with pytest.raises(ValueError, match=r"returned grad_input \(3,\), expected .* \(1, 3\)"):
        jacobian_backprop(Flat(), torch.ones(1, 3))


def test_check_module_passes_a_correct_backward_in_float32_input():
    module = TinyTanhLinear()
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))
    errors = check_module(module, x)
    assert list(errors) == ["input", "weight", "bias"]
    assert max(errors.values()) < 1e-7
    assert module.weight.data.dtype == torch.float32  # worked on a float64 copy
    assert x.dtype == torch.float32


@pytest.mark.parametrize(
    ("module_class", "culprit"),
    [(WrongWeightGrad, "'weight'"), (WrongInputGrad, "'input'")],
)
def test_check_module_names_the_wrong_tensor(module_class, culprit):
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))
    with pytest.raises(AssertionError, match=rf"failed for {culprit}: relative error .* > tol"):
        check_module(module_class(), x)


@pytest.mark.parametrize(("module_class", "culprit"),
                         [(WrongWeightGrad, "weight"), (WrongInputGrad, "input")])
def test_check_module_can_return_the_errors_of_a_failing_module(module_class, culprit):
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))
    errors = check_module(module_class(), x, raise_on_failure=False)
    assert list(errors) == ["input", "weight", "bias"]
    assert errors[culprit] > 1e-4
    assert max(e for name, e in errors.items() if name != culprit) < 1e-7


def test_check_module_refuses_a_non_bool_raise_on_failure():
    with pytest.raises(TypeError, match="raise_on_failure to be True or False, got 'no'"):
        check_module(TinyTanhLinear(), torch.ones(2, 3), raise_on_failure="no")


def test_check_module_catches_assigned_instead_of_accumulated_grads():
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))
    with pytest.raises(AssertionError, match="'weight'.grad is not twice.*accumulate"):
        check_module(AssigningGrad(), x)


def test_check_module_handles_random_forward_without_touching_the_callers_stream():
    torch.manual_seed(3)
    expected_next = torch.rand(2)
    torch.manual_seed(3)
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(4))
    # without reseeding, every forward would draw a new mask and the check would fail
    errors = check_module(TinyDropout(), x)
    assert errors["input"] < 1e-7
    assert torch.equal(torch.rand(2), expected_next)


def test_check_module_rejects_non_modules_and_integer_input():
    with pytest.raises(TypeError, match=r"course Module with \.forward\(\), got int"):
        check_module(3, torch.ones(2, 3))
    with pytest.raises(TypeError, match="floating-point x"):
        check_module(TinyTanhLinear(), torch.ones(2, 3, dtype=torch.int64))


def test_numerical_gradient_of_a_tensor_that_requires_grad():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    grad = numerical_gradient(lambda t: (t**2).sum(), x)
    torch.testing.assert_close(grad, torch.tensor([2.0, 4.0], dtype=torch.float64),
                               rtol=0, atol=1e-8)
    assert x.grad is None and x.is_leaf


# The same checks on the course's own layers (course_utils.layers).


def _mlp():
    torch.manual_seed(0)
    return Sequential(Linear(4, 5), Tanh(), Linear(5, 3), LogSoftmax(dim=1))


def test_check_module_passes_the_course_layers():
    X = torch.randn(6, 4, generator=torch.Generator().manual_seed(5))
    errors = check_module(_mlp(), X)
    assert list(errors) == ["input", "0.weight", "0.bias", "2.weight", "2.bias"]
    assert max(errors.values()) < 1e-7


def test_check_module_leaves_the_original_module_untouched():
    model = _mlp()
    before = {name: p.data.clone() for name, p in model.named_parameters()}
    check_module(model, torch.randn(3, 4))
    for name, p in model.named_parameters():
        assert p.data.dtype == torch.float32
        assert torch.equal(p.data, before[name]) and not p.grad.any()


def test_check_module_passes_dropout_in_training_mode():
    model = Sequential(Linear(4, 6), ReLU(), Dropout(0.5), Linear(6, 2)).train()
    X = torch.randn(5, 4, generator=torch.Generator().manual_seed(6))
    assert max(check_module(model, X).values()) < 1e-7


def test_check_module_catches_a_bias_gradient_averaged_instead_of_summed():
    class MeanBiasLinear(Linear):
        def backward(self, grad_output):
            grad_input = super().backward(grad_output)
            self.bias.grad -= grad_output.sum(0) - grad_output.mean(0)
            return grad_input

    X = torch.randn(4, 3, generator=torch.Generator().manual_seed(7))
    with pytest.raises(AssertionError, match=r"failed for 'bias'.*> tol 1e-07"):
        check_module(MeanBiasLinear(3, 2), X)


def test_jacobian_backprop_of_course_layers_matches_autograd():
    model = _mlp().to(dtype=torch.float64)
    X = torch.randn(2, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(8))
    J = jacobian_backprop(model, X)
    J_torch = torch.autograd.functional.jacobian(model.forward, X).reshape(6, 8)
    assert relative_error(J, J_torch) < 1e-12
    assert relative_error(jacobian_numerical(model.forward, X), J_torch) < 1e-8


def test_check_module_rejects_bad_eps_and_tol():
    with pytest.raises(ValueError, match="positive finite eps, got -1"):
        check_module(TinyTanhLinear(), torch.ones(2, 3), eps=-1)
    with pytest.raises(ValueError, match="positive finite tol, got nan"):
        check_module(TinyTanhLinear(), torch.ones(2, 3), tol=math.nan)


# ---------------------------------------------------------------- issue 8: no silent wrong answers

def tanh_sum(t):
    return torch.tanh(t).sum()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_finite_differences_in_low_precision_warn_and_say_why(dtype):
    # torch.autograd.gradcheck warns too; here the error is 6-26 %, so a correct gradient fails
    x = torch.linspace(-1, 1, 4, dtype=dtype)
    with pytest.warns(UserWarning, match=rf"numerical_gradient got x of dtype {dtype}: .*"
                                         r"rounding.*float64.*x.double\(\)"):
        numerical_gradient(tanh_sum, x)
    with pytest.warns(UserWarning, match=rf"jacobian_numerical got x of dtype {dtype}"):
        jacobian_numerical(torch.tanh, x)


def test_a_float32_function_of_a_float64_x_warns_too():
    W32 = torch.randn(3, 2)  # parameters left in float32: f rounds to float32 inside
    x = torch.randn(4, 3, dtype=torch.float64)
    with pytest.warns(UserWarning, match=r"numerical_gradient: f returned a torch.float32 value"):
        numerical_gradient(lambda t: (t.float() @ W32).sum(), x)
    with pytest.warns(UserWarning, match=r"jacobian_numerical: f returned a torch.float32 value"):
        jacobian_numerical(lambda t: t.float() @ W32, x)


def test_float64_checks_do_not_warn():
    x = torch.randn(3, dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        numerical_gradient(tanh_sum, x)
        numerical_gradient(lambda t: float(tanh_sum(t)), x)  # a Python float is fine
        jacobian_numerical(torch.tanh, x)
        check_module(Sequential(Linear(3, 2), Tanh()), torch.randn(2, 3))  # float32 input: copied


@pytest.mark.parametrize("make", [
    lambda: torch.tensor(1.0, dtype=torch.float64).expand(3),
    lambda: torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64).expand(2, 3),
    lambda: torch.arange(4.0, dtype=torch.float64).as_strided((3, 2), (1, 1)),
])
def test_finite_differences_refuse_a_tensor_whose_entries_share_memory(make):
    # perturbing one entry moved all of them: [6, 6, 6] instead of [1, 2, 3]
    x = make()
    half_square = lambda t: (t * t).sum() / 2  # noqa: E731
    for fn, f in ((numerical_gradient, half_square), (jacobian_numerical, torch.sin)):
        with pytest.raises(ValueError, match=rf"{fn.__name__}: x has entries that share memory "
                                             r".*x.clone\(\)"):
            fn(f, x)
    torch.testing.assert_close(numerical_gradient(half_square, x.clone()), x.clone())


def test_gradient_checks_accept_numpy_numbers_and_explain_numpy_arrays():
    x = torch.randn(3, dtype=torch.float64)
    numerical_gradient(tanh_sum, x, eps=np.float64(1e-6))
    numerical_gradient(tanh_sum, x, eps=np.float32(1e-6))
    check_module(Linear(3, 2), torch.randn(2, 3), eps=np.float64(1e-6), tol=np.float32(1e-7))
    with pytest.raises(TypeError, match=r"numerical_gradient expected a torch.Tensor as x, got "
                                        r"numpy.ndarray \(use torch.as_tensor\)"):
        numerical_gradient(tanh_sum, x.numpy())


def test_jacobian_backprop_and_check_module_work_under_no_grad():
    # a forward under torch.no_grad() keeps nothing; the checks record their own forwards
    model = Sequential(Linear(3, 4), Tanh(), Linear(4, 2)).to(torch.float64)
    x = torch.randn(5, 3, dtype=torch.float64)
    expected = jacobian_backprop(model, x)
    with torch.no_grad():
        torch.testing.assert_close(jacobian_backprop(model, x), expected)
        assert max(check_module(model, x).values()) < 1e-7
