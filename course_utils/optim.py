"""Optimizers that update Parameters in place: SGD (with momentum, Nesterov), RMSprop, Adam.

Each optimizer receives the parameters once (anything with ``.data`` and
``.grad`` tensors: our Parameter, or a torch leaf tensor) and, at every
``step()``, moves each ``p.data`` using ``p.grad``. The formulas and the
order of the floating-point operations are torch.optim's (torch 2.x, CPU
defaults), so given the same gradients the parameters agree with torch.optim
to rounding (about 1e-15 relative in float64).

Weight decay everywhere is L2 regularisation ADDED TO THE GRADIENT,
g <- g + weight_decay * p, as in torch.optim.SGD/RMSprop/Adam (for Adam this is
not AdamW, which shrinks p directly and keeps it out of the moment estimates).

Updates go through ``p.data``, which autograd does not track: no torch.no_grad()
is needed, even for a torch tensor with requires_grad=True.

Checkpoints: ``state_dict()`` / ``load_state_dict()`` use torch.optim's structure
and buffer names (momentum_buffer, square_avg, exp_avg, exp_avg_sq, step), so a
run resumed from a checkpoint continues bit-identically, and state dicts load
into torch.optim and back (see course_utils.optimizer). A torch.optim option the
course does not implement (amsgrad, maximize, dampening, ...) raises TypeError.
"""

import math

import torch

from course_utils._checks import is_real
from course_utils.optimizer import Optimizer

__all__ = ["SGD", "Adam", "Optimizer", "RMSprop"]

_TORCH_DEFAULTS = {"maximize": False, "foreach": None, "differentiable": False}


def _number(owner: str, name: str, value, low: float, high: float = math.inf,
            high_open: bool = False) -> float:
    """value as a float, or a ValueError naming it when outside [low, high] (or [low, high))."""
    if not is_real(value):  # Python and numpy numbers; not bools, strings or tensors
        raise TypeError(f"{owner} expected a number for {name}, got {value!r}")
    inside = low <= value < high if high_open else low <= value <= high
    if not inside:  # also catches NaN, for which every comparison is False
        closing = ")" if high_open else "]"
        wanted = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}{closing}"
        raise ValueError(f"{owner} expected {name} {wanted}, got {value!r}")
    return float(value)


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay.

    g = grad + wd p;  plain: p <- p - lr g
    momentum: v <- mu v + g (v = g on the first step);  p <- p - lr v
    Nesterov: v as above;  p <- p - lr (g + mu v)
    Convention: cs231n and many texts write v <- mu v - lr g; p <- p + v, which
    folds lr into v. Both give the same path while lr is constant; after lr
    changes, torch's v (used here) applies the new lr to the whole history.

    Args:
        params: iterable of Parameters. lr: step size >= 0. momentum: mu >= 0.
        weight_decay: wd >= 0 (L2). nesterov: True or False, True needs momentum > 0.
    State per parameter: "momentum_buffer" (v), once momentum > 0 has taken a step.
    """

    _hyper = ("lr", "momentum", "weight_decay", "nesterov")
    _torch_only = {"dampening": 0} | _TORCH_DEFAULTS | {"fused": None}
    _state_keys = ("momentum_buffer",)

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, **torch_options):
        self._refuse(torch_options)
        vars(self).update(self._validated(lr, momentum, weight_decay, nesterov))
        super().__init__(params)

    def _validated(self, lr, momentum, weight_decay, nesterov) -> dict:
        momentum = _number("SGD", "momentum", momentum, 0.0)
        if not isinstance(nesterov, bool):  # torch's positional order differs: see the test
            raise TypeError(f"SGD expected nesterov True or False, got {nesterov!r}")
        if nesterov and momentum == 0:
            raise ValueError(f"SGD with nesterov=True expected momentum > 0, got {momentum!r}")
        return {"lr": _number("SGD", "lr", lr, 0.0), "momentum": momentum,
                "weight_decay": _number("SGD", "weight_decay", weight_decay, 0.0),
                "nesterov": nesterov}

    def _update(self, param, grad, state):
        if self.weight_decay != 0:
            grad = grad.add(param, alpha=self.weight_decay)  # a new tensor: p.grad is unchanged
        if self.momentum != 0:
            v = state.get("momentum_buffer")
            if v is None:
                v = state["momentum_buffer"] = grad.clone()
            else:
                v.mul_(self.momentum).add_(grad)
            grad = grad.add(v, alpha=self.momentum) if self.nesterov else v
        param.add_(grad, alpha=-self.lr)


class RMSprop(Optimizer):
    """RMSprop: divide each step by a running root-mean-square of the gradient.

    g = grad + wd p;  s <- alpha s + (1 - alpha) g^2  (s starts at 0)
    p <- p - lr g / (sqrt(s) + eps)
    Note eps is added OUTSIDE the square root, as in torch; some texts use
    sqrt(s + eps). On the first step sqrt(s) = sqrt(1 - alpha) |g| = 0.1 |g|
    for alpha = 0.99, so the first move is about 10 lr per coordinate.

    Args:
        params: iterable of Parameters. lr: step size >= 0. alpha: decay in [0, 1]
            (torch only requires >= 0; above 1, s can turn negative). eps >= 0. weight_decay >= 0.
    State per parameter: "step" (a count, as torch keeps it) and "square_avg" (s).
    """

    _hyper = ("lr", "alpha", "eps", "weight_decay")
    _torch_only = {"momentum": 0, "centered": False, "capturable": False} | _TORCH_DEFAULTS
    _state_keys = ("step", "square_avg")

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, **torch_options):
        self._refuse(torch_options)
        vars(self).update(self._validated(lr, alpha, eps, weight_decay))
        super().__init__(params)

    def _validated(self, lr, alpha, eps, weight_decay) -> dict:
        return {"lr": _number("RMSprop", "lr", lr, 0.0),
                "alpha": _number("RMSprop", "alpha", alpha, 0.0, 1.0),
                "eps": _number("RMSprop", "eps", eps, 0.0),
                "weight_decay": _number("RMSprop", "weight_decay", weight_decay, 0.0)}

    def _update(self, param, grad, state):
        if self.weight_decay != 0:
            grad = grad.add(param, alpha=self.weight_decay)
        if not state:
            state.update(step=0, square_avg=torch.zeros_like(param))
        state["step"] += 1
        s = state["square_avg"]
        s.mul_(self.alpha).addcmul_(grad, grad, value=1 - self.alpha)
        param.addcdiv_(grad, s.sqrt().add_(self.eps), value=-self.lr)


class Adam(Optimizer):
    """Adam: momentum on the gradient and RMSprop scaling, both bias-corrected.

    g = grad + wd p (L2 in the gradient, not AdamW);  t <- t + 1 (t counts from 1)
    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2  (m, v start at 0)
    p <- p - lr/(1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    The step counter is incremented BEFORE the bias correction, so the first
    step divides by 1 - b1 and m/(1 - b1) = g: the first move is about lr sign(g).
    eps is added after the bias correction of sqrt(v), as in torch.

    Args:
        params: iterable of Parameters. lr: step size >= 0. betas: (b1, b2), each in [0, 1).
        eps >= 0. weight_decay >= 0.
    State per parameter: "step" (t), "exp_avg" (m), "exp_avg_sq" (v), torch's names.
    """

    _hyper = ("lr", "betas", "eps", "weight_decay")
    _torch_only = {"amsgrad": False, "capturable": False, "fused": None,
                   "decoupled_weight_decay": False} | _TORCH_DEFAULTS
    _state_keys = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, **torch_options):
        self._refuse(torch_options)
        vars(self).update(self._validated(lr, betas, eps, weight_decay))
        super().__init__(params)

    def _validated(self, lr, betas, eps, weight_decay) -> dict:
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Adam expected betas as a pair (beta1, beta2), got {betas!r}")
        return {"lr": _number("Adam", "lr", lr, 0.0),
                "betas": tuple(_number("Adam", f"betas[{i}]", b, 0.0, 1.0, high_open=True)
                               for i, b in enumerate(betas)),
                "eps": _number("Adam", "eps", eps, 0.0),
                "weight_decay": _number("Adam", "weight_decay", weight_decay, 0.0)}

    def _update(self, param, grad, state):
        beta1, beta2 = self.betas
        if self.weight_decay != 0:
            grad = grad.add(param, alpha=self.weight_decay)
        if not state:
            state.update(step=0, exp_avg=torch.zeros_like(param),
                         exp_avg_sq=torch.zeros_like(param))
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(grad, 1 - beta1)  # m + (1 - b1)(g - m) = b1 m + (1 - b1) g, as torch computes it
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = self.lr / (1 - beta1**t)
        denom = (v.sqrt() / (1 - beta2**t) ** 0.5).add_(self.eps)
        param.addcdiv_(m, denom, value=-step_size)
