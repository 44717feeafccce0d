"""A two-layer regression MLP with hand-written gradients (notebook 01).

The network is ``lin -> relu -> lin -> mse`` with weights in (in, out) layout,
so a linear layer is ``x @ w + b``. Each ``*_grad`` function reads the gradient
of the loss with respect to its output from ``out.g`` and stores the gradients
with respect to its inputs as ``.g`` attributes, each the shape of its tensor.
"""

import torch

from course_utils._checks import check_tensor


def _check_matrix(name: str, t: torch.Tensor, where: str, shape: str) -> None:
    check_tensor(t, where, name)
    if t.dim() != 2:
        raise ValueError(f"{where} expected {name} to be a 2-D tensor {shape}, "
                         f"got {tuple(t.shape)}")


def _check_lin_shapes(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, where: str) -> None:
    _check_matrix("x", x, where, "(N, D_in)")
    _check_matrix("w", w, where, "(D_in, D_out)")
    d_in, d_out = w.shape
    if x.shape[1] != d_in:
        raise ValueError(
            f"{where} expected x of shape (N, {d_in}) to match w {tuple(w.shape)}, "
            f"got {tuple(x.shape)}"
        )
    check_tensor(b, where, "b")
    if b.shape != (d_out,):
        raise ValueError(f"{where} expected b of shape ({d_out},), got {tuple(b.shape)}")


def _upstream(out: torch.Tensor, where: str) -> torch.Tensor:
    """Return ``out.g``, with a clear error when it is missing or has the wrong shape."""
    g = getattr(out, "g", None)
    if g is None:
        raise RuntimeError(
            f"{where} needs out.g (d loss / d out); run the backward of the later layer first"
        )
    if g.shape != out.shape:
        raise ValueError(
            f"{where} expected out.g of shape {tuple(out.shape)}, got {tuple(g.shape)}"
        )
    return g


def lin(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Linear layer in (in, out) layout: ``out = x @ w + b``.

    Args:
        x: (N, D_in) inputs.
        w: (D_in, D_out) weights.
        b: (D_out,) bias, added to every row.

    Returns:
        (N, D_out) outputs.
    """
    _check_lin_shapes(x, w, b, "lin")
    return x @ w + b


def relu(x: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit, element-wise: ``max(x, 0)``.

    Args:
        x: a tensor of any shape.

    Returns:
        a tensor of the same shape.
    """
    return x.clamp_min(0.0)


def mse(output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error: ``loss = mean((output - y) ** 2)`` over all entries.

    Shapes must be equal: an (N, 1) output minus an (N,) target would broadcast
    to (N, N) and average N**2 wrong differences without any error.

    Args:
        output: (N, 1) predictions in notebook 01 (any shape works).
        y: targets of output's shape.

    Returns:
        0-dim tensor, the loss.
    """
    if output.shape != y.shape:
        raise ValueError(
            f"mse expected output and y of the same shape, got output {tuple(output.shape)} "
            f"and y {tuple(y.shape)} (an (N, 1) - (N,) difference broadcasts to (N, N))"
        )
    return (output - y).pow(2).mean()


def mse_grad(inp: torch.Tensor, y: torch.Tensor) -> None:
    """Set ``inp.g = d loss / d inp = 2 * (inp - y) / N`` for ``loss = mse(inp, y)``.

    Here N is ``inp.numel()``, the number of terms the mean divides by.

    Args:
        inp: (N, 1) predictions, the input of the loss.
        y: (N, 1) targets.
    """
    if inp.shape != y.shape:
        raise ValueError(
            f"mse_grad expected inp and y of the same shape, got inp {tuple(inp.shape)} "
            f"and y {tuple(y.shape)}"
        )
    inp.g = 2.0 * (inp - y) / inp.numel()


def relu_grad(inp: torch.Tensor, out: torch.Tensor) -> None:
    """Set ``inp.g = out.g * (inp > 0)`` for ``out = relu(inp)``.

    The derivative at exactly 0 is taken to be 0, as in PyTorch.

    Args:
        inp: the input of relu, any shape.
        out: its output, the same shape, with ``out.g`` set.
    """
    g = _upstream(out, "relu_grad")
    if inp.shape != out.shape:
        raise ValueError(
            f"relu_grad expected inp of shape {tuple(out.shape)} like out, got {tuple(inp.shape)}"
        )
    inp.g = (inp > 0).to(g.dtype) * g


def lin_grad(inp: torch.Tensor, out: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> None:
    """Set ``.g`` on inp, w and b for ``out = inp @ w + b``, given ``out.g``.

    ``inp.g = out.g @ w.T``, ``w.g = inp.T @ out.g``, ``b.g = out.g.sum(0)``:
    w and b are used by every row, so their gradients sum over the batch.

    Args:
        inp: (N, D_in) inputs of the layer.
        out: (N, D_out) its outputs, with ``out.g`` set.
        w: (D_in, D_out) weights.
        b: (D_out,) bias.
    """
    _check_lin_shapes(inp, w, b, "lin_grad")
    g = _upstream(out, "lin_grad")
    if out.shape != (inp.shape[0], w.shape[1]):
        raise ValueError(
            f"lin_grad expected out of shape ({inp.shape[0]}, {w.shape[1]}), "
            f"got {tuple(out.shape)}"
        )
    inp.g = g @ w.T
    w.g = inp.T @ g
    b.g = g.sum(0)


def forward_and_backward(
    x: torch.Tensor,
    w1: torch.Tensor,
    b1: torch.Tensor,
    w2: torch.Tensor,
    b2: torch.Tensor,
    y: torch.Tensor,
) -> torch.Tensor:
    """Run ``mse(lin(relu(lin(x, w1, b1)), w2, b2), y)`` and backpropagate by hand.

    Sets ``.g`` (d loss / d tensor, same shape) on x, w1, b1, w2 and b2.

    Args:
        x: (N, D_in) inputs.
        w1: (D_in, H) and b1: (H,), the first layer.
        w2: (H, 1) and b2: (1,), the second layer.
        y: (N, 1) targets.

    Returns:
        0-dim tensor, the loss.
    """
    l1 = lin(x, w1, b1)  # (N, H)
    l2 = relu(l1)  # (N, H)
    out = lin(l2, w2, b2)  # (N, 1)
    loss = mse(out, y)
    # Backward runs the forward steps in reverse; each step needs its output's .g.
    mse_grad(out, y)
    lin_grad(l2, out, w2, b2)
    relu_grad(l1, l2)
    lin_grad(x, l1, w1, b1)
    return loss
