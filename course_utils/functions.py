"""Custom autograd Functions: hand-written backward passes that torch's autograd calls.

Each class is a ``torch.autograd.Function`` with static ``forward(ctx, ...)`` and
``backward(ctx, grad_output)``; use it through ``.apply`` (``ReQUFunction.apply(x)``):
calling an instance raises a RuntimeError in torch 2.13. ``backward`` returns one
gradient per ``forward`` argument: ``None`` for a non-tensor argument or for an
input whose ``ctx.needs_input_grad`` entry is False.

- ``ReQUFunction``, ``LinearFunction``: the true gradients of notebook 04's layers
  (``course_utils.layers.ReQU`` and ``Linear``), twice differentiable.
- ``GuidedReLU``, ``SignSTE``, ``RoundSTE``: gradients replaced on purpose
  (guided backpropagation, straight-through estimators); gradcheck rejects them on
  any input where they pass a gradient.
"""

import torch

from course_utils._checks import check_tensor, is_real

__all__ = ["GuidedReLU", "LinearFunction", "ReQUFunction", "RoundSTE", "SignSTE"]


def _floating(x, where: str) -> torch.Tensor:
    check_tensor(x, where, "input")
    if not x.is_floating_point():
        raise TypeError(f"{where} expected a floating-point input, got {x.dtype} "
                        f"(convert with x.to(torch.float32) or x.double())")
    return x


class ReQUFunction(torch.autograd.Function):
    """Rectified quadratic unit: out = max(x, 0)^2; grad_input = grad_output * 2 max(x, 0).

    Saves the input with ``ctx.save_for_backward`` and recomputes max(x, 0) in
    backward with differentiable operations, so double backward is right too
    (second derivative 2 [x > 0]). Equal to ``course_utils.layers.ReQU``.

    Shape:
        - x, out, grad_output, grad_input: (*), any shape, all the same
    """

    @staticmethod
    def forward(ctx, x):
        _floating(x, "ReQUFunction")
        ctx.save_for_backward(x)
        return torch.relu(x) ** 2

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 2 * torch.relu(x)


class LinearFunction(torch.autograd.Function):
    """out = X W^T + b as a Function: the backward of ``course_utils.layers.Linear``.

    Backward: dX = grad_output W; dW = grad_output^T X; db = sum_n grad_output[n].
    Each is computed only if ``ctx.needs_input_grad`` asks for it; ``bias=None`` gets None.
    X, weight and bias must be tensors of one floating dtype (a numpy bias would silently
    become a constant without a gradient, so it is refused).

    Shape:
        - X, dX: (N, in); W, dW: (out, in); b, db: (out,) or None; out, grad_output: (N, out)
    """

    @staticmethod
    def forward(ctx, X, weight, bias=None):
        _floating(X, "LinearFunction")
        check_tensor(weight, "LinearFunction", "weight")
        if weight.dtype != X.dtype:
            raise TypeError(f"LinearFunction expected weight of X's dtype {X.dtype}, "
                            f"got {weight.dtype} (convert with weight.to(X.dtype))")
        if bias is not None:
            check_tensor(bias, "LinearFunction", "bias")
            if bias.dtype != X.dtype:
                raise TypeError(f"LinearFunction expected bias of X's dtype {X.dtype}, "
                                f"got {bias.dtype} (convert with bias.to(X.dtype))")
        if X.ndim != 2 or weight.ndim != 2 or X.shape[1] != weight.shape[1]:
            raise ValueError(f"LinearFunction expected X (N, in) and weight (out, in) with the "
                             f"same in, got X {tuple(X.shape)} and weight {tuple(weight.shape)}")
        if bias is not None and tuple(bias.shape) != (weight.shape[0],):
            raise ValueError(f"LinearFunction expected bias of shape ({weight.shape[0]},), "
                             f"got {tuple(bias.shape)}")
        ctx.save_for_backward(X, weight)
        ctx.has_bias = bias is not None
        out = X @ weight.T  # (N, out)
        return out + bias if bias is not None else out

    @staticmethod
    def backward(ctx, grad_output):
        X, weight = ctx.saved_tensors
        dX = grad_output @ weight if ctx.needs_input_grad[0] else None  # (N, in)
        dW = grad_output.T @ X if ctx.needs_input_grad[1] else None  # (out, in)
        db = grad_output.sum(0) if ctx.has_bias and ctx.needs_input_grad[2] else None  # (out,)
        return dX, dW, db


class GuidedReLU(torch.autograd.Function):
    """ReLU forward, guided backward: grad_input = grad_output [x > 0] [grad_output > 0].

    Not the gradient of anything: it lets only positive evidence flow back through
    units that were active, which makes saliency maps less noisy (Springenberg et al. 2015).

    Shape:
        - x, out, grad_output, grad_input: (*), any shape, all the same
    """

    @staticmethod
    def forward(ctx, x):
        _floating(x, "GuidedReLU")
        ctx.save_for_backward(x)
        return torch.relu(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * ((x > 0) & (grad_output > 0)).to(grad_output.dtype)


class SignSTE(torch.autograd.Function):
    """sign(x) forward; straight-through backward: grad_input = grad_output [|x| <= clip].

    The true derivative of sign is 0 almost everywhere, which would stop all
    learning; the estimator passes the gradient through as if out were x, except
    where |x| > clip (for clip = 1, the derivative of clamp(x, -1, 1) as torch computes it, 1 at
    the ends too; Hubara et al. 2016).
    ``clip`` is a Python number: backward returns None for it.

    Shape:
        - x, out, grad_output, grad_input: (*), any shape, all the same
    """

    @staticmethod
    def forward(ctx, x, clip=1.0):
        _floating(x, "SignSTE")
        if not is_real(clip) or not clip > 0:
            raise ValueError(f"SignSTE expected a positive number clip, got {clip!r}")
        ctx.save_for_backward(x)
        ctx.clip = float(clip)
        return torch.sign(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * (x.abs() <= ctx.clip).to(grad_output.dtype), None


class RoundSTE(torch.autograd.Function):
    """round(x) forward (half to even, as torch.round); backward grad_input = grad_output.

    The identity backward pretends rounding were out = x (Bengio et al. 2013).

    Shape:
        - x, out, grad_output, grad_input: (*), any shape, all the same
    """

    @staticmethod
    def forward(ctx, x):
        _floating(x, "RoundSTE")
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output
