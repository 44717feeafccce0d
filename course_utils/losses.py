"""Loss functions with hand-written gradients: MSE, cross-entropy, NLL, multiclass hinge.

Each loss is a Module: ``loss = loss_fn(input, target)`` returns the batch mean
(a 0-dim tensor) and keeps what the gradient needs; ``loss_fn.backward()``
returns dloss/dinput, the grad_output that starts the model's backward pass.
Values and gradients equal torch.nn's losses with their default reduction="mean".
"""

import torch

from course_utils._checks import is_real, type_name
from course_utils.module import Module

__all__ = ["CrossEntropyLoss", "MSELoss", "MultiMarginLoss", "NLLLoss"]


class _Loss(Module):
    """Shared part: forward saves a tuple for _input_grad; backward checks and scales it."""

    def __init__(self):
        super().__init__()
        self._saved = None
        self._input = None

    def backward(self, grad_output=None) -> torch.Tensor:
        """d loss / d input (input's shape); an upstream scalar grad_output scales it.

        The result is tagged with the input it belongs to (``grad._grad_of``), so
        that the model's backward can refuse it if the model ran forward since.
        """
        if self._saved is None:
            raise self._not_run()
        grad = self._input_grad(*self._saved)  # a new tensor: backward may run twice
        if grad_output is not None:
            grad.mul_(_scalar(grad_output, type(self).__name__))
        grad._grad_of = self._input
        return grad

    def __call__(self, input, target):
        out = super().__call__(input, target)
        if torch.is_grad_enabled():
            self._input = input  # the output of the model this loss's gradient belongs to
        return out


def _scalar(grad_output, name: str):
    """The upstream d total / d loss: a number or a 0-dim tensor, as torch requires."""
    if is_real(grad_output) or (isinstance(grad_output, torch.Tensor) and grad_output.ndim == 0):
        return grad_output
    got = f"shape {tuple(grad_output.shape)}" if isinstance(grad_output, torch.Tensor) else \
        type_name(grad_output)
    raise ValueError(f"{name}.backward expected grad_output as a scalar (d total / d loss, "
                     f"shape () like the loss), got {got}")


def _check_classes(name: str, scores: torch.Tensor, target: torch.Tensor) -> None:
    """Cheap checks that scores (N, C) and integer class targets (N,) fit together."""
    if scores.ndim != 2:
        raise ValueError(f"{name} expected input of shape (N, C), got {tuple(scores.shape)}")
    if target.dtype != torch.int64:
        raise TypeError(
            f"{name} expected int64 class indices as target, got {target.dtype} "
            "(use y.long(); probability targets are not supported)"
        )
    if target.shape != scores.shape[:1]:
        raise ValueError(
            f"{name} expected target of shape ({scores.shape[0]},) for input "
            f"{tuple(scores.shape)}, got {tuple(target.shape)}"
        )


def _pick(name: str, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """scores[n, target[n]] for every n, shape (N, 1); a clear error for bad classes."""
    try:
        return scores.gather(1, target[:, None])  # (N, 1)
    except RuntimeError:  # gather checks the range; we only explain it
        lo, hi = target.min().item(), target.max().item()
        raise ValueError(
            f"{name} expected class targets in [0, {scores.shape[1] - 1}] for {scores.shape[1]} "
            f"classes, got values from {lo} to {hi}"
        ) from None


class MSELoss(_Loss):
    """Mean squared error over ALL entries: loss = mean((input - target)^2).

    Backward: dinput = 2 (input - target) / input.numel(), in input's dtype.

    Shape:
        - input, target, dinput: (*), any shape, all the same (no broadcasting)
        - loss: (), a 0-dim tensor
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        for name, t in (("input", input), ("target", target)):
            if t.is_complex() or (name == "input" and not t.is_floating_point()):
                # (x - t)^2 of a complex number is not a squared distance: |x - t|^2 is
                raise TypeError(f"MSELoss expected a real floating-point {name}, got {t.dtype}")
        if input.shape != target.shape:
            raise ValueError(
                f"MSELoss expected target of the input's shape {tuple(input.shape)}, got "
                f"{tuple(target.shape)}: broadcasting them would silently compare every "
                "prediction with every target"
            )
        diff = input - target  # a float64 target promotes diff (and loss) to float64
        self._saved = (diff, input.dtype)
        return (diff * diff).mean()

    def _input_grad(self, diff, dtype):
        # as autograd: the gradient has the INPUT's dtype, which the model's backward expects
        return (diff * (2 / diff.numel())).to(dtype)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits: loss = mean_n (logsumexp(logits_n) - logits_n[y_n]).

    Stable for any logit size: the row max is subtracted before exp.
    Backward: dlogits = (softmax(logits) - onehot(y)) / N.

    Shape:
        - input (logits), dinput (dlogits): (N, C); target (y): (N,) int64 in [0, C)
        - loss: (), a 0-dim tensor
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check_classes("CrossEntropyLoss", input, target)
        # softmax is unchanged by a shift; after it every exp() is <= 1 (no overflow)
        # and the max term is exactly 1 (the log never sees 0)
        shifted = input - input.amax(1, keepdim=True)  # (N, C)
        log_probs = shifted - shifted.exp().sum(1, keepdim=True).log()  # (N, C)
        picked = _pick("CrossEntropyLoss", log_probs, target)  # (N, 1)
        self._saved = (log_probs, target)
        return -picked.mean()

    def _input_grad(self, log_probs, target):
        dlogits = log_probs.exp()  # probs, (N, C)
        dlogits.scatter_add_(1, target[:, None], torch.full_like(dlogits[:, :1], -1.0))
        return dlogits.div_(len(target))  # (probs - onehot(y)) / N


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities: loss = -mean_n input[n, y_n].

    Use after LogSoftmax: LogSoftmax + NLLLoss = CrossEntropyLoss.
    Backward: dinput[n, y_n] = -1/N, 0 elsewhere.

    Shape:
        - input (log_probs), dinput: (N, C); target (y): (N,) int64 in [0, C)
        - loss: (), a 0-dim tensor
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check_classes("NLLLoss", input, target)
        picked = _pick("NLLLoss", input, target)  # (N, 1)
        self._saved = (input, target)
        return -picked.mean()

    def _input_grad(self, input, target):
        # only the picked entries enter the loss, each with weight -1/N
        return torch.zeros_like(input).scatter_(1, target[:, None], -1.0 / len(target))


class MultiMarginLoss(_Loss):
    """Multiclass hinge (SVM) loss with margin 1, normalised as torch.nn.MultiMarginLoss.

    loss = 1/(N C) sum_n sum_{j != y_n} max(0, 1 - x[n, y_n] + x[n, j])
    (divided by C, the number of classes, not C - 1).
    Backward: each active term (> 0) adds +1/(N C) to x[n, j] and -1/(N C) to x[n, y_n].

    Shape:
        - input (scores), dinput: (N, C); target (y): (N,) int64 in [0, C)
        - loss: (), a 0-dim tensor
    """

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        _check_classes("MultiMarginLoss", input, target)
        correct = _pick("MultiMarginLoss", input, target)  # (N, 1)
        margins = (1 - correct + input).clamp_min_(0)  # (N, C)
        margins.scatter_(1, target[:, None], 0.0)  # the j = y_n term is not part of the sum
        self._saved = (margins, target)
        return margins.sum() / margins.numel()  # / (N C)

    def _input_grad(self, margins, target):
        active = (margins > 0).to(margins.dtype)  # (N, C), 0 in the y_n column
        # x[n, y_n] appears with a minus sign in every active term of row n
        active.scatter_(1, target[:, None], -active.sum(1, keepdim=True))
        return active.div_(margins.numel())
