"""Gradient checking: compare hand-written gradients with finite differences.

Central differences approximate a derivative without any calculus:

    df/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps),   error O(eps^2)

so they are an independent reference for every ``backward`` in the course.
Run them in float64: in float32 f is rounded by ~1e-7 |f|, and dividing by
2 eps = 2e-6 leaves an error ~0.05 |f|, far above the 1e-7 we want to resolve.
numerical_gradient and jacobian_numerical warn when x (or f's value) is not
float64, and refuse an x whose entries share memory (``t.expand(...)``).
"""

import copy
import itertools
from collections.abc import Callable

import torch

from course_utils._gradcheck_inputs import (
    check_module_like,
    check_point,
    check_positive,
    warn_if_output_imprecise,
)


def _entries(x: torch.Tensor):
    """Index tuples of every entry of x, in row-major (flattened) order; () for 0-dim."""
    return itertools.product(*(range(n) for n in x.shape))


def _write(x: torch.Tensor, idx: tuple, value: torch.Tensor) -> None:
    with torch.no_grad():  # in-place writes must work even when x requires grad
        x[idx] = value


def _evaluate_around(f: Callable, x: torch.Tensor, idx: tuple, eps: float):
    """Return (f at x with x[idx] + eps, f at x with x[idx] - eps); x is restored bit-exactly."""
    saved, values = x[idx].detach().clone(), []
    try:
        for value in (saved + eps, saved - eps):
            _write(x, idx, value)
            out = f(x)  # may be x itself or a view (identity): copy it before x changes
            values.append(out.detach().clone() if isinstance(out, torch.Tensor) else out)
    finally:
        _write(x, idx, saved)  # the saved value itself: (x - eps) + eps can round
    return values


def _as_scalar(value) -> float:
    if isinstance(value, torch.Tensor) and value.numel() != 1:
        raise ValueError(f"numerical_gradient expected f to return a scalar, got a tensor "
                         f"of shape {tuple(value.shape)} (reduce it, e.g. with .sum())")
    if isinstance(value, bool) or not isinstance(value, torch.Tensor | int | float):
        got = type(value).__name__
        raise TypeError(f"numerical_gradient expected f to return a number, got {got}")
    return float(value)


def numerical_gradient(f: Callable, x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Gradient of a scalar function by central differences, one entry at a time.

    grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)
    x is perturbed IN PLACE and restored exactly after each entry, so f may ignore
    its argument and read x through a closure (e.g. a layer's ``weight.data``).

    Args:
        f: function of x returning a scalar (0-dim / one-element tensor or number).
        x: (any shape) floating tensor, preferably float64.
        eps: step size; 1e-6 balances truncation (eps^2) and rounding (1e-16 / eps).
    Returns:
        tensor of x's shape and dtype.
    """
    eps = check_positive(eps, "eps", "numerical_gradient")
    check_point(x, "numerical_gradient", finite_differences=True, eps=eps)
    grad = torch.zeros_like(x)
    for i, idx in enumerate(_entries(x)):
        f_plus, f_minus = _evaluate_around(f, x, idx, eps)
        if i == 0 and x.dtype == torch.float64:
            warn_if_output_imprecise(f_plus, "numerical_gradient", eps)
        grad[idx] = (_as_scalar(f_plus) - _as_scalar(f_minus)) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """Largest difference between two gradients, relative to their size.

    err = max_i |a_i - b_i| / max(max_i (|a_i| + |b_i|), tiny)

    Why relative: a difference of 1e-6 is excellent for gradients of size 1e3 and
    meaningless for gradients of size 1e-8; dividing by the size makes one
    threshold work for every layer. In float64 with eps = 1e-6: a correct gradient
    gives ~1e-10 to 1e-7; 1e-7 to 1e-4 is suspicious (a step far from 1e-6, or a bug
    confined to a few small entries); above 1e-4, and especially ~1e-2 to 1, it is
    wrong, or an input sits at or within eps of a kink (ReLU at 0: 0.25 right at it).

    Args:
        a, b: tensors (or array-likes) of the same shape.
    Returns:
        float in [0, 1]: 0 for two zero tensors (not 0/0), 1 for opposite signs, nan for nan.
    """
    a, b = (torch.as_tensor(t).detach().to(torch.float64) for t in (a, b))
    if a.shape != b.shape:
        raise ValueError(f"relative_error expected a and b of the same shape, got "
                         f"{tuple(a.shape)} and {tuple(b.shape)} (no broadcasting: it would "
                         "hide a wrong gradient shape)")
    if a.numel() == 0:
        raise ValueError("relative_error expected non-empty tensors, got 0 elements")
    size = (a.abs() + b.abs()).max().clamp_min(torch.finfo(torch.float64).tiny)
    return ((a - b).abs().max() / size).item()


def jacobian_backprop(module, x: torch.Tensor) -> torch.Tensor:
    """Jacobian of module.forward at x, row by row via backward with one-hot grad_output.

    Row i = module.backward(e_i) = e_i^T J = d out_i / d x, flattened. One forward,
    then one backward per output entry; every p.grad is restored afterwards.

    Args:
        module: course Module (forward(x), backward(grad_output) -> grad_input); x: floating.
    Returns:
        J: (out.numel(), x.numel()), J[i, j] = d out_i / d x_j (out and x flattened).
    """
    check_point(x, "jacobian_backprop")
    check_module_like(module, "jacobian_backprop")
    saved_grads = [(p, p.grad.clone()) for _, p in module.named_parameters()]
    try:
        with torch.enable_grad():  # a course Module keeps nothing under torch.no_grad()
            out = module.forward(x)
        J = torch.zeros(out.numel(), x.numel(), dtype=out.dtype)
        for i, one_hot in enumerate(torch.eye(out.numel(), dtype=out.dtype)):  # e_i, flat
            J[i] = _grad_input(module, one_hot.view(out.shape), x, "jacobian_backprop").reshape(-1)
    finally:
        for p, grad in saved_grads:
            p.grad.copy_(grad)
    return J


def _grad_input(module, grad_output: torch.Tensor, x: torch.Tensor, where: str) -> torch.Tensor:
    grad_input = module.backward(grad_output)
    if not isinstance(grad_input, torch.Tensor) or grad_input.shape != x.shape:
        got = tuple(grad_input.shape) if isinstance(grad_input, torch.Tensor) else grad_input
        raise ValueError(f"{where}: {type(module).__name__}.backward returned grad_input "
                         f"{got}, expected a tensor of x's shape {tuple(x.shape)}")
    return grad_input


def jacobian_numerical(f: Callable, x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Jacobian of f at x by central differences, column by column.

    J[:, j] = (f(x + eps e_j) - f(x - eps e_j)).flatten() / (2 eps)
    x is perturbed in place and restored exactly (as in numerical_gradient).

    Args:
        f: function of x returning a tensor (any shape), e.g. module.forward.
        x: (any shape) floating tensor, preferably float64. eps: step size.
    Returns:
        J: (f(x).numel(), x.numel()) in f's output dtype.
    """
    eps = check_positive(eps, "eps", "jacobian_numerical")
    check_point(x, "jacobian_numerical", finite_differences=True, eps=eps)
    columns = []
    for idx in _entries(x):
        f_plus, f_minus = _evaluate_around(f, x, idx, eps)
        if not columns and x.dtype == torch.float64:
            warn_if_output_imprecise(f_plus, "jacobian_numerical", eps)
        if not isinstance(f_minus, torch.Tensor) or f_plus.shape != f_minus.shape:
            raise TypeError(f"jacobian_numerical expected f to return a tensor, got {f_minus!r}")
        columns.append((f_plus - f_minus).reshape(-1) / (2 * eps))
    return torch.stack(columns, dim=1)


def _seeded_forward(module, x: torch.Tensor, seed: int) -> torch.Tensor:
    """Forward after reseeding (Dropout: same mask each time), the caller's stream kept."""
    # Reseed only the CPU generator, saving and restoring its state by hand: the same as
    # fork_rng + manual_seed here, ~40x cheaper, and this runs twice per checked entry.
    state = torch.get_rng_state()
    try:
        torch.default_generator.manual_seed(seed)
        with torch.enable_grad():  # record, even under no_grad
            return module.forward(x)
    finally:
        torch.set_rng_state(state)


def _analytic_grads(module, x: torch.Tensor, g: torch.Tensor, seed: int) -> dict:
    module.zero_grad()
    _seeded_forward(module, x, seed)
    grads = {"input": _grad_input(module, g, x, "check_module").clone()}
    return grads | {name: p.grad.clone() for name, p in module.named_parameters()}


def _check_errors(errors: dict, tol: float, module) -> None:
    failures = [f"'{n}': relative error {e:.3g} > tol {tol:g}" for n, e in errors.items()
                if not e <= tol]  # `not <=` so that nan fails too
    if failures:
        raise AssertionError(f"check_module({type(module).__name__}) failed for "
                             + "; ".join(failures) + " (backward vs finite differences)")


def _check_accumulates(module, x: torch.Tensor, g: torch.Tensor, seed: int, grads: dict) -> None:
    # A second backward must ADD to p.grad: assigning breaks shared weights and batch sums.
    _seeded_forward(module, x, seed)
    _grad_input(module, g, x, "check_module")
    for name, p in module.named_parameters():
        if not torch.allclose(p.grad, 2 * grads[name], rtol=1e-10, atol=0.0):
            raise AssertionError(f"check_module: after two backward calls '{name}'.grad is "
                                 "not twice the gradient of one: backward must accumulate "
                                 "into p.grad with +=, not assign")


def check_module(module, x: torch.Tensor, eps: float = 1e-6, tol: float = 1e-7, seed: int = 0,
                 raise_on_failure: bool = True):
    """Check a Module's backward against finite differences, in float64.

    loss(x, params) = sum(forward(x) * g), g a fixed random tensor of out's shape
    (random, not ones, so that errors cannot cancel in the sum): backward(g) must
    return dloss/dx and add dloss/dp into each p.grad (a second backward must add
    again). Runs on float64 deep copies; module and x are left untouched. torch is
    reseeded with ``seed`` before every forward, so Dropout draws the same mask.

    Args:
        module: course Module; x: (N, ...) floating input; eps: finite-difference
        step; tol: largest accepted relative_error; seed: for g and the forwards;
        raise_on_failure: False returns the errors of a failing module instead of raising.
    Returns:
        dict name -> relative error: "input", then every name of named_parameters().
    Raises:
        AssertionError naming each tensor whose error exceeds tol (or is nan), and when
        backward assigns instead of accumulating (unless raise_on_failure is False).
    """
    check_point(x, "check_module")
    check_module_like(module, "check_module")
    eps = check_positive(eps, "eps", "check_module")
    tol = check_positive(tol, "tol", "check_module")
    if not isinstance(raise_on_failure, bool):
        raise TypeError(f"check_module expected raise_on_failure to be True or False, "
                        f"got {raise_on_failure!r}")
    module = copy.deepcopy(module).to(dtype=torch.float64)
    x = x.detach().to(torch.float64, copy=True)
    out = _seeded_forward(module, x, seed)
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    analytic = _analytic_grads(module, x, g, seed)

    def loss(_):
        return (_seeded_forward(module, x, seed) * g).sum()

    tensors = {"input": x} | {name: p.data for name, p in module.named_parameters()}
    errors = {name: relative_error(analytic[name], numerical_gradient(loss, t, eps))
              for name, t in tensors.items()}
    if raise_on_failure:
        _check_errors(errors, tol, module)
        _check_accumulates(module, x, g, seed, analytic)
    return errors
