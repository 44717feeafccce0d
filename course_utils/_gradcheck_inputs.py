"""Argument checks of course_utils.gradcheck (private): what a gradient check can trust.

Two inputs make finite differences silently wrong. Low precision: f is rounded
by about eps_mach |f|, and dividing by 2 eps magnifies it (float32, eps = 1e-6:
up to ~0.1 relative, the V curve of notebook 03). Shared memory: in an expanded
tensor several entries are one number, so perturbing "one" entry moves them all.
"""

import math
import warnings

import torch

from course_utils._checks import check_tensor, is_real


def check_point(x, where: str, finite_differences: bool = False, eps: float = 1e-6) -> None:
    """x must be a non-empty floating tensor; for finite differences, one number per entry."""
    check_tensor(x, where, "x")
    if not x.is_floating_point():
        raise TypeError(f"{where} expected a floating-point x (float64 for gradient checks), "
                        f"got {x.dtype}")
    if x.numel() == 0:
        raise ValueError(f"{where} expected a non-empty x, got shape {tuple(x.shape)}")
    if not finite_differences:
        return
    if _shares_memory(x):
        raise ValueError(f"{where}: x has entries that share memory (an expanded or strided view, "
                         f"strides {x.stride()}), so perturbing one entry moves several and the "
                         "differences are wrong; pass a copy with independent entries, x.clone()")
    if x.dtype != torch.float64:
        warn_imprecise(where, f"got x of dtype {x.dtype}", x.dtype, eps)


def _shares_memory(x: torch.Tensor) -> bool:
    """True if two entries of x sit at the same storage offset (e.g. after expand)."""
    offsets = torch.zeros((), dtype=torch.int64)
    for size, stride in zip(x.shape, x.stride(), strict=True):
        offsets = offsets.unsqueeze(-1) + torch.arange(size) * stride
    return offsets.unique().numel() < x.numel()


def warn_imprecise(where: str, what: str, dtype: torch.dtype, eps: float) -> None:
    """A UserWarning that says why finite differences in dtype cannot judge a gradient."""
    eps_mach = torch.finfo(dtype).eps
    warnings.warn(
        f"{where} {what}: central differences divide rounding errors of about "
        f"{eps_mach:.0e} |f| by 2 eps, so with eps = {eps:g} the estimate can be off by "
        f"~{eps_mach / eps:.0e} relative and a correct gradient looks wrong (torch's gradcheck "
        "warns too). Check in float64: pass x.double(), and make f compute in float64 "
        "(model.to(torch.float64) for its parameters)",
        UserWarning, stacklevel=4,
    )


def warn_if_output_imprecise(value, where: str, eps: float) -> None:
    """Warn when f returned a tensor in a dtype coarser than float64 (x itself was float64)."""
    if isinstance(value, torch.Tensor) and value.is_floating_point() \
            and value.dtype != torch.float64:
        warn_imprecise(where + ":", f"f returned a {value.dtype} value", value.dtype, eps)


def check_positive(value, name: str, where: str) -> float:
    """value as a Python float (numpy scalars accepted) if it is positive and finite."""
    if not is_real(value) or not 0 < value < math.inf:
        raise ValueError(f"{where} expected a positive finite {name}, got {value!r}")
    return float(value)


def check_module_like(module, where: str) -> None:
    for name in ("forward", "backward", "named_parameters"):
        if not callable(getattr(module, name, None)):
            raise TypeError(f"{where} expected a course Module with .{name}(), "
                            f"got {type(module).__name__}")
