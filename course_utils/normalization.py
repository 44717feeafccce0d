"""Batch normalisation with a hand-written backward, equal to torch.nn.BatchNorm1d.

For an input X of shape (N, C), training mode normalises each feature (column)
c with the statistics of the batch, then scales and shifts it:

    mu = (1/N) sum_n X[n],   var = (1/N) sum_n (X[n] - mu)^2   (biased: divides by N)
    X_hat = (X - mu) / sqrt(var + eps),   out = gamma * X_hat + beta

and updates the running statistics that eval mode uses instead of mu and var:

    running_mean <- (1 - momentum) running_mean + momentum mu
    running_var  <- (1 - momentum) running_var + momentum var N / (N - 1)   (UNBIASED)

Backward in training mode (every X[n] enters mu and var, so the samples mix),
with g = grad_output and the means taken over the batch:

    dbeta = sum_n g,   dgamma = sum_n g X_hat
    dX = gamma / sqrt(var + eps) * (g - mean_n g - X_hat mean_n(g X_hat))

In eval mode mu and var are constants: dX = g gamma / sqrt(running_var + eps).
"""

import torch

from course_utils._checks import is_real, positive_int
from course_utils.module import Module, Parameter

__all__ = ["BatchNorm1d"]


class BatchNorm1d(Module):
    """Batch normalisation of (N, C) inputs, as torch.nn.BatchNorm1d (formulas above).

    Parameters ``weight`` (gamma, ones) and ``bias`` (beta, zeros); buffers
    ``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked``
    (int64 count), with torch's names, so state dicts load both ways.
    momentum=None averages all batches seen so far (factor 1 / num_batches_tracked).
    As torch, every training-mode forward updates the running statistics in place,
    under torch.no_grad() too (only what backward needs is left untouched there):
    evaluate in eval mode. Training refuses N == 1 (the variance of one sample is 0).

    Shape:
        - X, out, grad_output, dX: (N, C)
        - weight, bias, running_mean, running_var: (C,); num_batches_tracked: ()
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1):
        super().__init__()
        self.num_features = positive_int(num_features, "BatchNorm1d num_features")
        if not is_real(eps) or not eps > 0:
            raise ValueError(f"BatchNorm1d expected eps > 0, got {eps!r}")
        if momentum is not None and (not is_real(momentum) or not 0 <= momentum <= 1):
            raise ValueError(f"BatchNorm1d expected momentum in [0, 1] or None, got {momentum!r}")
        self.eps, self.momentum = float(eps), None if momentum is None else float(momentum)
        self.weight = Parameter(torch.ones(num_features))
        self.bias = Parameter(torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0))
        self._saved = None  # (X_hat, 1 / sqrt(var + eps), batch statistics used?)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        self._check_input(X)
        if self.training:
            mean, var = X.mean(0), X.var(0, unbiased=False)  # (C,) each; biased var
            self._update_running(mean, var, X.shape[0])
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = (var + self.eps).rsqrt()  # (C,)
        X_hat = (X - mean) * inv_std  # (N, C)
        self._saved = (X_hat, inv_std, self.training)
        return X_hat * self.weight.data + self.bias.data  # (N, C)

    def _check_input(self, X: torch.Tensor) -> None:
        if X.ndim != 2 or X.shape[1] != self.num_features:
            raise ValueError(f"BatchNorm1d expected input of shape (N, {self.num_features}), "
                             f"got {tuple(X.shape)}")
        if X.dtype != self.weight.data.dtype:
            raise TypeError(f"BatchNorm1d expected {self.weight.data.dtype} input (the weight's "
                            f"dtype), got {X.dtype}: convert X, or the model with model.to(...)")
        if self.training and X.shape[0] == 1:  # torch's message, and why
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {X.shape} (BatchNorm1d: the variance of one sample is 0; "
                             "use a batch of 2 or more, or model.eval())")

    def _update_running(self, mean: torch.Tensor, var: torch.Tensor, N: int) -> None:
        with torch.no_grad():  # in place, as torch: a state_dict() taken earlier sees it
            self.num_batches_tracked += 1
            m = 1 / self.num_batches_tracked.item() if self.momentum is None else self.momentum
            self.running_mean.mul_(1 - m).add_(m * mean)
            self.running_var.mul_(1 - m).add_(m * var * (N / (N - 1)))  # unbiased

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        if self._saved is None:
            raise self._not_run()
        X_hat, inv_std, batch_statistics = self._saved
        self._check_grad_output(grad_output, X_hat.shape, X_hat.dtype)
        self.weight.grad += (grad_output * X_hat).sum(0)  # dgamma, (C,)
        self.bias.grad += grad_output.sum(0)  # dbeta, (C,)
        scale = self.weight.data * inv_std  # (C,)
        if not batch_statistics:  # eval: mean and var were constants
            return grad_output * scale
        return scale * (grad_output - grad_output.mean(0)
                        - X_hat * (grad_output * X_hat).mean(0))  # (N, C)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"
