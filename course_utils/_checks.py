"""Argument checks shared by several course_utils modules (private).

Numbers may be Python or numpy scalars (np.float64(0.1), np.int64(3)); bools
are refused everywhere a number is expected. Tensors must be torch.Tensors:
a list or a numpy array gets an error that says how to convert it.
"""

import numbers

import torch


def type_name(value) -> str:
    """'list', 'numpy.ndarray', 'torch.Tensor': the name a student can look up."""
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module.split('.')[0]}.{kind.__name__}"


def _conversion_hint(value) -> str:
    if type(value).__module__.startswith("numpy"):
        return " (use torch.as_tensor)"
    if isinstance(value, list | tuple | numbers.Number):
        return " (use torch.tensor)"
    return ""


def check_tensor(value, where: str, what: str = "") -> torch.Tensor:
    """value if it is a torch.Tensor, else a TypeError that names the type and the fix."""
    if not isinstance(value, torch.Tensor):
        what = f" as {what}" if what else ""
        raise TypeError(f"{where} expected a torch.Tensor{what}, got {type_name(value)}"
                        f"{_conversion_hint(value)}")
    return value


def is_integer(value) -> bool:
    """True for Python and numpy integers, False for bools (True is not a count)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value) -> bool:
    """True for Python and numpy ints and floats, False for bools, complex and tensors."""
    # numpy's bool_ is not registered as a number, so only Python's bool needs excluding
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def positive_int(value, what: str) -> int:
    """Return value as an int if it is an integer >= 1 (bools refused), else a ValueError."""
    if not is_integer(value) or value < 1:
        raise ValueError(f"{what} expected a positive int, got {value!r}")
    return int(value)
