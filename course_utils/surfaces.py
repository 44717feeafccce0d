"""Two-dimensional test functions for optimizers, and a helper that records a path.

Each surface is a callable object: ``f(x)`` for a point ``x`` of shape (2,), and
``f.grad(x)``, its gradient, shape (2,); ``f.on_grid(u, v)`` evaluates it
element-wise on two tensors of the same shape, for contour plots
(course_utils.plotting.plot_optimizer_paths). ``run_optimizer`` starts an
optimizer of course_utils.optim (or torch.optim) at a point and returns the
iterates and the function values along the way.
"""

import math
from collections.abc import Callable

import torch

from course_utils.module import Parameter

__all__ = ["Quadratic", "Rosenbrock", "run_optimizer"]


def _point(x, where: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.shape != (2,) or not x.is_floating_point():
        got = f"{x.dtype} tensor of shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) \
            else type(x).__name__
        raise ValueError(f"{where} expected a floating-point point of shape (2,), got {got}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{where} got a point with nan or inf: {x.tolist()} (a diverged run?)")
    return x


class Quadratic:
    """f(x) = a x1^2 + b x2^2, an axis-aligned bowl with its minimum 0 at the origin.

    grad f(x) = (2 a x1, 2 b x2). The Hessian is diag(2a, 2b); its condition number
    kappa = max(a, b) / min(a, b) measures how elongated the bowl is. Gradient descent
    with step lr multiplies x_i by (1 - 2 lr c_i) per step (c = a, b): it converges iff
    every |1 - 2 lr c_i| < 1, i.e. lr < 1 / max(a, b).
    Args: a, b: curvatures > 0 (default 0.1 and 2, kappa = 20).
    """

    def __init__(self, a: float = 0.1, b: float = 2.0):
        if not (a > 0 and b > 0):
            raise ValueError(f"Quadratic expected curvatures a > 0 and b > 0, got {a!r}, {b!r}")
        self.a, self.b = float(a), float(b)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = _point(x, "Quadratic")
        return self.a * x[0] ** 2 + self.b * x[1] ** 2

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self._grad(_point(x, "Quadratic.grad"))

    def _grad(self, x: torch.Tensor) -> torch.Tensor:  # unchecked, for run_optimizer's loop
        return x * torch.tensor([2 * self.a, 2 * self.b], dtype=x.dtype)

    def on_grid(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return self.a * u**2 + self.b * v**2

    @property
    def condition_number(self) -> float:
        return max(self.a, self.b) / min(self.a, self.b)

    def __repr__(self) -> str:
        return f"Quadratic(a={self.a:g}, b={self.b:g})"


class Rosenbrock:
    """f(x) = (1 - x1)^2 + b (x2 - x1^2)^2, a curved valley with its minimum 0 at (1, 1).

    grad f(x) = (-2 (1 - x1) - 4 b x1 (x2 - x1^2),  2 b (x2 - x1^2)).
    Easy to reach the valley floor, slow to follow it to the minimum.
    Args: b: steepness of the valley walls > 0 (default 100).
    """

    minimum = (1.0, 1.0)

    def __init__(self, b: float = 100.0):
        if not b > 0:
            raise ValueError(f"Rosenbrock expected b > 0, got {b!r}")
        self.b = float(b)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = _point(x, "Rosenbrock")
        return self.on_grid(x[0], x[1])

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self._grad(_point(x, "Rosenbrock.grad"))

    def _grad(self, x: torch.Tensor) -> torch.Tensor:  # unchecked, for run_optimizer's loop
        x1, x2 = x.tolist()
        valley = x2 - x1 * x1  # not x1**2: a Python float power raises OverflowError
        dx1 = -2 * (1 - x1) - 4 * self.b * x1 * valley
        return torch.tensor([dx1, 2 * self.b * valley], dtype=x.dtype)

    def on_grid(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return (1 - u) ** 2 + self.b * (v - u**2) ** 2

    def __repr__(self) -> str:
        return f"Rosenbrock(b={self.b:g})"


def run_optimizer(make_optimizer: Callable, surface, start, steps: int):
    """Run an optimizer on a 2-D surface from start; return (path, values).

    Args:
        make_optimizer: params -> optimizer, e.g. lambda ps: SGD(ps, lr=0.1); it gets a
            list holding one Parameter of shape (2,) (course_utils.optim or torch.optim).
        surface: a callable with .grad, e.g. Quadratic() or Rosenbrock().
        start: the first point, a float tensor of shape (2,) (float64 recommended).
        steps: number of optimizer steps >= 0.
    Returns:
        path: (steps + 1, 2), the iterates (row 0 is start); values: (steps + 1,), f there.
        A run that diverges keeps going: its last rows may be inf or nan (values too).
    """
    start = _point(start, "run_optimizer")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"run_optimizer expected steps as an int >= 0, got {steps!r}")
    p = Parameter(start.clone())
    optimizer = make_optimizer([p])
    gradient = getattr(surface, "_grad", surface.grad)  # .grad's checks at every step cost time
    path = [p.data.clone()]
    for _ in range(steps):
        x = p.data
        finite = all(math.isfinite(value) for value in x.tolist())
        p.grad.copy_(gradient(x) if finite else torch.full_like(x, math.nan))
        optimizer.step()
        path.append(p.data.clone())
    path = torch.stack(path)  # (steps + 1, 2)
    return path, surface.on_grid(path[:, 0], path[:, 1])
