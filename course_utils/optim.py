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
"""

import math

import torch

__all__ = ["SGD", "Adam", "Optimizer", "RMSprop"]


def _number(owner: str, name: str, value, low: float, high: float = math.inf,
            high_open: bool = False) -> float:
    """value as a float, or a ValueError naming it when outside [low, high] (or [low, high))."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{owner} expected a number for {name}, got {value!r}")
    inside = low <= value < high if high_open else low <= value <= high
    if not inside:  # also catches NaN, for which every comparison is False
        closing = ")" if high_open else "]"
        wanted = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}{closing}"
        raise ValueError(f"{owner} expected {name} {wanted}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: keeps the parameter list, zeroes gradients, calls _update per parameter.

    Args:
        params: iterable of objects with ``.data`` and ``.grad`` tensors of the same
            shape (e.g. ``model.parameters()``); read once into a list, non-empty,
            without repeats.
    """

    def __init__(self, params):
        name = type(self).__name__
        if isinstance(params, torch.Tensor):
            raise TypeError(f"{name} expected an iterable of parameters, got a single tensor: "
                            "wrap it in a list, [p]")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name} got an empty parameter list: pass model.parameters() "
                             "of a model that has parameters")
        for i, p in enumerate(self.params):
            if not isinstance(getattr(p, "data", None), torch.Tensor) or not hasattr(p, "grad"):
                hint = ": pass model.parameters()" if hasattr(p, "named_parameters") else ""
                raise TypeError(f"{name} expected parameters with .data and .grad tensors, "
                                f"got {type(p).__name__} at position {i}{hint}")
        if len({id(p) for p in self.params}) != len(self.params):
            # torch only warns; a repeated parameter would be stepped twice per step()
            raise ValueError(f"{name} got the same parameter more than once: each must appear "
                             "once (model.parameters() already lists a shared one once)")
        self.state = [{} for _ in self.params]  # per-parameter buffers (momentum, moments)

    def zero_grad(self) -> None:
        """Set every p.grad to zeros in place (backward ADDS into .grad, so call it each step)."""
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()

    def step(self) -> None:
        """Update every parameter in place from its current .grad (None grads are skipped)."""
        for i, p in enumerate(self.params):
            if p.grad is None:  # as torch.optim: a tensor that took no part in the loss
                continue
            if p.grad.shape != p.data.shape:
                raise ValueError(f"{type(self).__name__}: parameter {i} has shape "
                                 f"{tuple(p.data.shape)} but its grad has shape "
                                 f"{tuple(p.grad.shape)}")
            self._update(p.data, p.grad, self.state[i])

    def _update(self, param: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in vars(self).items()
                             if k not in ("params", "state"))
        return f"{type(self).__name__}({settings})"


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
        weight_decay: wd >= 0 (L2). nesterov: needs momentum > 0.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False):
        self.lr = _number("SGD", "lr", lr, 0.0)
        self.momentum = _number("SGD", "momentum", momentum, 0.0)
        self.weight_decay = _number("SGD", "weight_decay", weight_decay, 0.0)
        if nesterov and self.momentum == 0:
            raise ValueError(f"SGD with nesterov=True expected momentum > 0, got {momentum!r}")
        self.nesterov = bool(nesterov)
        super().__init__(params)

    def _update(self, param, grad, state):
        if self.weight_decay != 0:
            grad = grad.add(param, alpha=self.weight_decay)  # a new tensor: p.grad is unchanged
        if self.momentum != 0:
            v = state.get("velocity")
            if v is None:
                v = state["velocity"] = grad.clone()
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
    """

    def __init__(self, params, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0):
        self.lr = _number("RMSprop", "lr", lr, 0.0)
        self.alpha = _number("RMSprop", "alpha", alpha, 0.0, 1.0)
        self.eps = _number("RMSprop", "eps", eps, 0.0)
        self.weight_decay = _number("RMSprop", "weight_decay", weight_decay, 0.0)
        super().__init__(params)

    def _update(self, param, grad, state):
        if self.weight_decay != 0:
            grad = grad.add(param, alpha=self.weight_decay)
        if "square_avg" not in state:
            state["square_avg"] = torch.zeros_like(param)
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
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        self.lr = _number("Adam", "lr", lr, 0.0)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Adam expected betas as a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(_number("Adam", f"betas[{i}]", b, 0.0, 1.0, high_open=True)
                           for i, b in enumerate(betas))
        self.eps = _number("Adam", "eps", eps, 0.0)
        self.weight_decay = _number("Adam", "weight_decay", weight_decay, 0.0)
        super().__init__(params)

    def _update(self, param, grad, state):
        beta1, beta2 = self.betas
        if self.weight_decay != 0:
            grad = grad.add(param, alpha=self.weight_decay)
        if not state:
            state.update(step=0, m=torch.zeros_like(param), v=torch.zeros_like(param))
        state["step"] += 1
        t, m, v = state["step"], state["m"], state["v"]
        m.lerp_(grad, 1 - beta1)  # m + (1 - b1)(g - m) = b1 m + (1 - b1) g, as torch computes it
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = self.lr / (1 - beta1**t)
        denom = (v.sqrt() / (1 - beta2**t) ** 0.5).add_(self.eps)
        param.addcdiv_(m, denom, value=-step_size)
