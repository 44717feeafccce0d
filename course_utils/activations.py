"""Element-wise activations (and LogSoftmax) with hand-written backward passes.

ReLU, Sigmoid, Tanh, ReQU, LogSoftmax: each forward saves ONE tensor (its
output, or max(x, 0) for ReQU) and backward multiplies grad_output by the local
derivative computed from it. None has parameters. Import them from
course_utils.layers, which re-exports them with the other layers.
"""

import torch

from course_utils.module import Module

__all__ = ["LogSoftmax", "ReLU", "ReQU", "Sigmoid", "Tanh"]


class _Activation(Module):
    """Shared part: forward saves ONE tensor; backward checks that it exists and fits."""

    def __init__(self):
        super().__init__()
        self._saved = None

    def _saved_for(self, grad_output: torch.Tensor) -> torch.Tensor:
        saved = self._saved
        if saved is None:
            raise self._not_run()
        self._check_grad_output(grad_output, saved.shape, saved.dtype)
        return saved


class ReLU(_Activation):
    """Rectified linear unit: out = max(x, 0); grad_input = grad_output * [x > 0].

    The slope at exactly x = 0 is taken as 0, as in torch.

    Shape:
        - x, out, grad_output, grad_input: (*), any shape, all the same
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._saved = torch.relu(x)  # out; out > 0 exactly where x > 0
        return self._saved

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        # out >= 0, so out.sign() is the 0/1 mask [x > 0]; torch multiplies by it
        # several times faster than by the boolean mask (out > 0)
        return grad_output * self._saved_for(grad_output).sign()


class Sigmoid(_Activation):
    """Logistic function: out = 1 / (1 + exp(-x)); grad_input = grad_output * out (1 - out).

    Shape:
        - x, out, grad_output, grad_input: (*), any shape, all the same
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # torch.sigmoid never overflows; 1 / (1 + exp(-x)) does for x < -88 in float32
        self._saved = torch.sigmoid(x)
        return self._saved

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        out = self._saved_for(grad_output)
        return grad_output * out * (1 - out)


class Tanh(_Activation):
    """Hyperbolic tangent: out = tanh(x); grad_input = grad_output * (1 - out^2).

    Shape:
        - x, out, grad_output, grad_input: (*), any shape, all the same
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._saved = torch.tanh(x)
        return self._saved

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        out = self._saved_for(grad_output)
        return grad_output * (1 - out * out)


class ReQU(_Activation):
    """Rectified quadratic unit: out = x^2 if x > 0 else 0.

    Backward: grad_input = grad_output * 2 max(x, 0) (a slope continuous at 0, unlike ReLU).

    Shape:
        - x, out, grad_output, grad_input: (*), any shape, all the same
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._saved = torch.relu(x)  # max(x, 0): out is its square, the slope twice it
        return self._saved * self._saved

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        return 2 * self._saved_for(grad_output) * grad_output


class LogSoftmax(_Activation):
    """Log of the softmax along dim: out_i = x_i - log sum_j exp(x_j).

    Backward, with p = exp(out): grad_input_i = grad_output_i - p_i sum_j grad_output_j.

    Shape:
        - x, out, grad_output, grad_input: (N, C) for dim=1 (any shape having dim)
    """

    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(
                f"LogSoftmax(dim={self.dim}) expected an input with a dimension {self.dim}, "
                f"got shape {tuple(x.shape)}"
            )
        # subtracting the max leaves the result unchanged and keeps exp() <= 1:
        # no overflow for large logits, and the largest term is exactly exp(0) = 1
        shifted = x - x.amax(self.dim, keepdim=True)
        self._saved = shifted - shifted.exp().sum(self.dim, keepdim=True).log()
        return self._saved

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        out = self._saved_for(grad_output)
        return grad_output - out.exp() * grad_output.sum(self.dim, keepdim=True)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
