"""Tests for course_utils.manual: hand case, finite differences and autograd for every gradient."""

import numpy as np
import pytest
import torch

from course_utils.manual import (
    forward_and_backward,
    lin,
    lin_grad,
    mse,
    mse_grad,
    relu,
    relu_grad,
)

NAMES = ("x", "w1", "b1", "w2", "b2")


def make_problem(n=6, d_in=4, hidden=5, seed=0):
    """A small float64 problem: x, w1, b1, w2, b2, y."""
    gen = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    x, y = randn(n, d_in), randn(n, 1)
    return x, randn(d_in, hidden), randn(hidden), randn(hidden, 1), randn(1), y


def numerical_gradient(f, t, eps=1e-6):
    """Central differences of the scalar f() with respect to t, perturbing t in place."""
    grad = torch.zeros_like(t)
    flat, flat_grad = t.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        plus = f().item()
        flat[i] = old - eps
        minus = f().item()
        flat[i] = old
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def autograd_gradients(x, w1, b1, w2, b2, y):
    leaves = [t.clone().requires_grad_() for t in (x, w1, b1, w2, b2)]
    xa, w1a, b1a, w2a, b2a = leaves
    out = torch.relu(xa @ w1a + b1a) @ w2a + b2a
    loss = torch.nn.functional.mse_loss(out, y)
    loss.backward()
    return loss.detach(), [t.grad for t in leaves]


# ----------------------------------------------------------------- forward


def test_forward_hand_case():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = torch.tensor([[1.0], [-1.0]])
    b = torch.tensor([0.5])
    assert lin(x, w, b).tolist() == [[-0.5], [-0.5]]
    assert relu(torch.tensor([-2.0, 0.0, 3.0])).tolist() == [0.0, 0.0, 3.0]
    # mean of (1 - 0)^2 and (-1 - 2)^2 = (1 + 9) / 2
    assert mse(torch.tensor([[1.0], [-1.0]]), torch.tensor([[0.0], [2.0]])).item() == 5.0


def test_forward_matches_torch():
    x, w1, b1, w2, b2, y = make_problem()
    out = lin(relu(lin(x, w1, b1)), w2, b2)
    ref = torch.nn.functional.linear(torch.relu(x @ w1 + b1), w2.T, b2)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(mse(out, y), torch.nn.functional.mse_loss(out, y))


# ----------------------------------------------------------------- each gradient by hand


def test_lin_grad_hand_case():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    w = torch.tensor([[1.0], [-1.0]])
    b = torch.tensor([0.5])
    out = lin(x, w, b)
    out.g = torch.tensor([[1.0], [2.0]])
    lin_grad(x, out, w, b)
    assert x.g.tolist() == [[1.0, -1.0], [2.0, -2.0]]  # out.g @ w.T
    assert w.g.tolist() == [[7.0], [10.0]]  # 1*1 + 3*2, 2*1 + 4*2
    assert b.g.tolist() == [3.0]  # 1 + 2


def test_relu_grad_hand_case_zero_has_derivative_zero():
    inp = torch.tensor([-1.0, 0.0, 2.0])
    out = relu(inp)
    out.g = torch.tensor([5.0, 6.0, 7.0])
    relu_grad(inp, out)
    assert inp.g.tolist() == [0.0, 0.0, 7.0]


def test_mse_grad_hand_case():
    inp = torch.tensor([[1.0], [-1.0]])
    mse_grad(inp, torch.tensor([[0.0], [2.0]]))
    assert inp.g.tolist() == [[1.0], [-3.0]]  # 2 * (inp - y) / 2


# ----------------------------------------------------------------- finite differences, float64


def test_every_gradient_matches_finite_differences():
    tensors = make_problem()
    x, w1, b1, w2, b2, y = tensors
    forward_and_backward(x, w1, b1, w2, b2, y)
    for name, t in zip(NAMES, (x, w1, b1, w2, b2), strict=True):
        numeric = numerical_gradient(lambda: mse(lin(relu(lin(x, w1, b1)), w2, b2), y), t)
        torch.testing.assert_close(t.g, numeric, rtol=1e-6, atol=1e-8, msg=f"{name}.g")


def test_single_op_gradients_match_finite_differences():
    gen = torch.Generator().manual_seed(1)
    inp = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    y = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    mse_grad(inp, y)
    torch.testing.assert_close(inp.g, numerical_gradient(lambda: mse(inp, y), inp))
    # relu: a fixed upstream gradient v turns the layer into the scalar sum(relu(inp) * v)
    out = relu(inp)
    out.g = torch.randn(5, 3, generator=gen, dtype=torch.float64)
    relu_grad(inp, out)
    torch.testing.assert_close(inp.g, numerical_gradient(lambda: (relu(inp) * out.g).sum(), inp))


# ----------------------------------------------------------------- torch autograd


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_and_backward_matches_autograd(seed):
    tensors = make_problem(n=8, d_in=7, hidden=6, seed=seed)
    ref_loss, ref_grads = autograd_gradients(*tensors)
    loss = forward_and_backward(*tensors)
    torch.testing.assert_close(loss, ref_loss)
    for name, t, ref in zip(NAMES, tensors[:5], ref_grads, strict=True):
        assert t.g.shape == t.shape, f"{name}.g has shape {tuple(t.g.shape)}"
        torch.testing.assert_close(t.g, ref, rtol=1e-10, atol=1e-12, msg=f"{name}.g")


def test_each_grad_function_matches_autograd():
    gen = torch.Generator().manual_seed(3)
    inp = torch.randn(4, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, generator=gen, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(4, 2, generator=gen, dtype=torch.float64)
    (inp @ w + b).backward(upstream)
    out = lin(inp.detach(), w.detach(), b.detach())
    out.g = upstream
    plain = [inp.detach(), w.detach(), b.detach()]
    lin_grad(plain[0], out, plain[1], plain[2])
    for t, ref in zip(plain, (inp.grad, w.grad, b.grad), strict=True):
        torch.testing.assert_close(t.g, ref)

    r = torch.randn(4, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    torch.relu(r).backward(upstream[:, :1].expand(4, 3))
    r_plain, r_out = r.detach(), torch.relu(r.detach())
    r_out.g = upstream[:, :1].expand(4, 3)
    relu_grad(r_plain, r_out)
    torch.testing.assert_close(r_plain.g, r.grad)

    p = torch.randn(4, 1, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randn(4, 1, generator=gen, dtype=torch.float64)
    torch.nn.functional.mse_loss(p, y).backward()
    p_plain = p.detach()
    mse_grad(p_plain, y)
    torch.testing.assert_close(p_plain.g, p.grad)


def test_float32_gradients_keep_dtype():
    tensors = [t.float() for t in make_problem()]
    loss = forward_and_backward(*tensors)
    assert loss.dtype == torch.float32 and loss.dim() == 0
    assert all(t.g.dtype == torch.float32 for t in tensors[:5])


# ----------------------------------------------------------------- bad input


def test_mse_refuses_the_n1_minus_n_broadcast():
    with pytest.raises(ValueError, match=r"same shape, got output \(3, 1\) and y \(3,\)"):
        mse(torch.zeros(3, 1), torch.zeros(3))
    with pytest.raises(ValueError, match=r"got inp \(3, 1\) and y \(3,\)"):
        mse_grad(torch.zeros(3, 1), torch.zeros(3))


def test_forward_and_backward_refuses_1d_targets():
    x, w1, b1, w2, b2, y = make_problem()
    with pytest.raises(ValueError, match="mse expected output and y of the same shape"):
        forward_and_backward(x, w1, b1, w2, b2, y.squeeze(1))


def test_lin_names_the_mismatch():
    with pytest.raises(ValueError, match=r"lin expected x of shape \(N, 4\) .* got \(2, 3\)"):
        lin(torch.zeros(2, 3), torch.zeros(4, 5), torch.zeros(5))
    with pytest.raises(ValueError, match=r"lin expected b of shape \(5,\), got \(4,\)"):
        lin(torch.zeros(2, 4), torch.zeros(4, 5), torch.zeros(4))
    with pytest.raises(ValueError, match=r"expected x to be a 2-D tensor \(N, D_in\), got \(4,\)"):
        lin(torch.zeros(4), torch.zeros(4, 5), torch.zeros(5))
    with pytest.raises(ValueError, match=r"expected w to be a 2-D tensor \(D_in, D_out\)"):
        lin(torch.zeros(2, 4), torch.zeros(4), torch.zeros(5))
    with pytest.raises(TypeError, match=r"lin expected a torch.Tensor as b, got float "
                                        r"\(use torch.tensor\)"):
        lin(torch.zeros(2, 4), torch.zeros(4, 5), 0.0)


def test_lin_says_how_to_convert_a_numpy_array():
    with pytest.raises(TypeError, match=r"lin expected a torch.Tensor as x, got numpy.ndarray "
                                        r"\(use torch.as_tensor\)"):
        lin(np.zeros((2, 4)), torch.zeros(4, 5), torch.zeros(5))


def test_backward_without_upstream_gradient_is_an_error():
    x, w, b = torch.zeros(2, 3), torch.zeros(3, 1), torch.zeros(1)
    out = lin(x, w, b)
    with pytest.raises(RuntimeError, match=r"lin_grad needs out.g"):
        lin_grad(x, out, w, b)
    with pytest.raises(RuntimeError, match=r"relu_grad needs out.g"):
        relu_grad(x, relu(x))


def test_upstream_gradient_of_wrong_shape_is_an_error():
    x, w, b = torch.zeros(2, 3), torch.zeros(3, 1), torch.zeros(1)
    out = lin(x, w, b)
    out.g = torch.zeros(2)
    with pytest.raises(ValueError, match=r"lin_grad expected out.g of shape \(2, 1\), got \(2,\)"):
        lin_grad(x, out, w, b)
    inp = torch.zeros(2, 3)
    out = relu(torch.zeros(3, 2))
    out.g = torch.zeros(3, 2)
    with pytest.raises(ValueError, match=r"relu_grad expected inp of shape \(3, 2\)"):
        relu_grad(inp, out)
