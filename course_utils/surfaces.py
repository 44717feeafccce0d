"""Two-dimensional test functions for optimizers, and a helper that records a path.

Each surface is a callable object: ``f(x)`` for a point ``x`` of shape (2,), and
``f.grad(x)``, its gradient, shape (2,); ``f.on_grid(u, v)`` evaluates it
element-wise on two tensors of the same shape, for contour plots
(course_utils.plotting.plot_optimizer_paths). ``run_optimizer`` starts an
optimizer of course_utils.optim or of torch.optim at a point and returns the
iterates and the function values along the way.
"""

import inspect
import math
from collections.abc import Callable

import torch

from course_utils._checks import check_tensor, is_real

__all__ = ["Quadratic", "Rosenbrock", "run_optimizer"]


def _point(x, where: str) -> torch.Tensor:
    check_tensor(x, where, "a point of shape (2,)")
    if x.shape != (2,) or not x.is_floating_point():
        raise ValueError(f"{where} expected a floating-point point of shape (2,), "
                         f"got {x.dtype} tensor of shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{where} got a point with nan or inf: {x.tolist()} (a diverged run?)")
    return x


def _positive(value, where: str, name: str) -> float:
    if not is_real(value):
        raise TypeError(f"{where} expected {name} as a number, got {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{where} expected a finite {name} > 0 (a curvature), got {value!r}")
    return float(value)


class Quadratic:
    """f(x) = a x1^2 + b x2^2, an axis-aligned bowl with its minimum 0 at the origin.

    grad f(x) = (2 a x1, 2 b x2). The Hessian is diag(2a, 2b); its condition number
    kappa = max(a, b) / min(a, b) measures how elongated the bowl is. Gradient descent
    with step lr multiplies x_i by (1 - 2 lr c_i) per step (c = a, b): it converges iff
    every |1 - 2 lr c_i| < 1, i.e. lr < 1 / max(a, b).
    Args: a, b: curvatures > 0 (default 0.1 and 2, kappa = 20).
    """

    def __init__(self, a: float = 0.1, b: float = 2.0):
        self.a, self.b = _positive(a, "Quadratic", "a"), _positive(b, "Quadratic", "b")

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
        self.b = _positive(b, "Rosenbrock", "b")

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
        make_optimizer: params -> optimizer, e.g. lambda ps: SGD(ps, lr=0.1) (a function,
            not the class SGD: the settings go into it); it gets a list holding one leaf
            tensor of shape (2,) with requires_grad and a .grad, which both
            course_utils.optim and torch.optim accept.
        surface: an object with .grad(x) and .on_grid(u, v), e.g. Quadratic(), Rosenbrock().
        start: the first point, a float tensor of shape (2,) (float64 recommended).
        steps: number of optimizer steps >= 0.
    Returns:
        path: (steps + 1, 2), the iterates (row 0 is start); values: (steps + 1,), f there.
        A run that diverges stops at its first point with inf or nan: that row and
        every later one are nan (values too).
    """
    start = _point(start, "run_optimizer")
    if inspect.isclass(make_optimizer) or not callable(make_optimizer):
        got = f"the class {make_optimizer.__name__}" if inspect.isclass(make_optimizer) \
            else type(make_optimizer).__name__
        raise TypeError(f"run_optimizer expected a function params -> optimizer, e.g. "
                        f"lambda ps: SGD(ps, lr=0.1), got {got}")
    for method in ("grad", "on_grid"):
        if not callable(getattr(surface, method, None)):
            raise TypeError(f"run_optimizer expected a surface with .grad and .on_grid, such as "
                            f"Quadratic() or Rosenbrock(), got {type(surface).__name__}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"run_optimizer expected steps as an int >= 0, got {steps!r}")
    p = start.detach().clone().requires_grad_(True)
    p.grad = torch.zeros_like(p.data)
    optimizer = make_optimizer([p])
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"run_optimizer: make_optimizer returned {type(optimizer).__name__}, "
                        "which has no step(): return an optimizer, e.g. lambda ps: SGD(ps, lr=0.1)")
    gradient = getattr(surface, "_grad", surface.grad)  # .grad's checks at every step cost time
    points = [start.tolist()]
    with torch.no_grad():
        for _ in range(steps):
            p.grad.copy_(gradient(p.data))
            optimizer.step()
            point = p.data.tolist()
            if not all(math.isfinite(value) for value in point):
                break  # diverged: the rest stays nan
            points.append(point)
    path = torch.full((steps + 1, 2), math.nan, dtype=start.dtype)
    path[: len(points)] = torch.tensor(points, dtype=start.dtype)
    return path, surface.on_grid(path[:, 0], path[:, 1])
