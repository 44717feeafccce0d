"""Exercise checks that say what is wrong, not only that something is.

Every check cell in the notebooks uses these two helpers:

- ``check_done("2.1", J_hand=J_hand)`` stops an unfinished exercise with one
  clear line, ``NotImplementedError: Exercise 2.1 is not done yet: ...``;
- ``check_close("dW", dW, expected)`` is ``torch.testing.assert_close`` (same
  tolerances, same report: worst index, both values, dtype) preceded by a
  diagnosis of the usual mistakes: a flipped sign, a missing or extra constant
  factor (1/N, 2, ...), a transposed result, a wrong shape or dtype.

``count_torch_calls()`` records the torch calls a student's function makes, so
a check can test the rule an exercise states ("no Python loop", "one einsum").
"""

import inspect
import sys
from contextlib import contextmanager

import torch
from torch.overrides import TorchFunctionMode

from course_utils.gradcheck import relative_error


def check_done(exercise: str, **values) -> None:
    """Raise NotImplementedError for the first of ``values`` that is still None.

    Example: ``check_done("0.1", answers=answers)`` while ``answers = None``
    raises ``NotImplementedError: Exercise 0.1 is not done yet: answers is still None``.
    """
    for name, value in values.items():
        if value is None:
            raise NotImplementedError(f"Exercise {exercise} is not done yet: {name} is still None "
                                      "(set it in the exercise cell above, then run this check)")


def _scale(actual: torch.Tensor, expected: torch.Tensor):
    """The s for which actual == s * expected, if there is one (least squares), else None."""
    a, e = actual.flatten(), expected.flatten()
    energy = (e * e).sum()
    if energy == 0:
        return None
    s = ((a * e).sum() / energy).item()
    residual = (a - s * e).norm()
    return s if residual <= 1e-4 * max(a.norm().item(), 1e-300) else None


def _near(s: float, value: float) -> bool:
    return abs(s - value) <= 1e-3 * abs(value)


def _factor_diagnosis(s: float, factors: dict, scalar: bool) -> str | None:
    if _near(s, -1.0):
        return "has the wrong sign: it is -1 times the expected value"
    for label, value in factors.items():
        if _near(s, value):
            return f"is {value:g} times the expected value: a missing division by {label}?"
        if _near(s, 1 / value):
            return f"is 1/{value:g} of the expected value: divided by {label} once too often?"
        if _near(s, -value) or _near(s, -1 / value):
            return f"is {s:.4g} times the expected value: the sign AND a factor {label} are off"
    if _near(s, 2.0):
        return "is twice the expected value: a stray factor 2?"
    if _near(s, 0.5):
        return "is half the expected value: a factor 2 missing?"
    if scalar:  # any two numbers are multiples of each other: say nothing from the ratio
        return None
    return f"is {s:.4g} times the expected value: a constant factor is off"


# torch.testing.assert_close's default (rtol, atol) per dtype; integers must be equal.
_DEFAULT_TOLERANCES = {torch.float16: (1e-3, 1e-5), torch.bfloat16: (1.6e-2, 1e-5),
                       torch.float32: (1.3e-6, 1e-5), torch.float64: (1e-7, 1e-7),
                       torch.complex64: (1.3e-6, 1e-5), torch.complex128: (1e-7, 1e-7)}


def _tolerances(dtype: torch.dtype, rtol, atol) -> tuple[float, float]:
    if rtol is not None and atol is not None:
        return rtol, atol
    return _DEFAULT_TOLERANCES.get(dtype, (0.0, 0.0))


def diagnose(actual: torch.Tensor, expected: torch.Tensor, factors: dict | None = None,
             rtol: float | None = None, atol: float | None = None) -> str:
    """One sentence naming the likely mistake when ``actual`` differs from ``expected``.

    Tried in order: transposed, all zeros, a constant multiple (sign, the named
    ``factors`` such as {"N": 8}, 2, 1/2), otherwise the relative error.
    Args:
        actual, expected: tensors of the same shape (float or int).
        rtol, atol: the tolerances of the comparison (None: assert_close's defaults),
            used to count the entries that are off.
    """
    rtol, atol = _tolerances(expected.dtype, rtol, atol)
    a, e = actual.detach().to(torch.float64), expected.detach().to(torch.float64)
    if a.dim() == e.dim() == 2 and a.shape == e.shape[::-1] and torch.allclose(a.mT, e, rtol=1e-5,
                                                                                  atol=1e-8):
        square = " (the shapes fit because the matrix is square)" if a.shape == e.shape else ""
        return f"is transposed: its transpose matches{square}"
    if not a.any() and e.any():
        return "is all zeros"
    if a.isnan().any() and not e.isnan().any():
        return f"contains nan in {int(a.isnan().sum())} of {a.numel()} entries"
    s = _scale(a, e)
    if s is not None and not _near(s, 1.0):
        diagnosis = _factor_diagnosis(s, factors or {}, scalar=a.numel() == 1)
        if diagnosis:
            return diagnosis
    wrong = ~torch.isclose(a, e, rtol=rtol, atol=atol)
    worst = tuple(int(i) for i in torch.unravel_index((a - e).abs().argmax(), a.shape))
    error = relative_error(a, e)
    if expected.dtype == torch.float64 and 1e-11 < error < 1e-5:
        return (f"differs by float32-sized rounding (relative error {error:.1e}): was part of it "
                "computed in float32 (torch.where with two Python numbers, a bool mask times a "
                "Python float, torch.tensor of Python floats and torch.zeros(...) without dtype= "
                "all give float32), or is a small term such as eps handled differently, or, for "
                "a gradient, is it a finite-difference estimate rather than the exact formula?")
    # + 0.0 prints -0.0 as 0: a sign of zero is never the point of the message
    return (f"differs from the expected value: relative error {error:.2e} (the course's "
            "max|yours - expected| / max(|yours| + |expected|), not torch's per-entry ratio "
            f"below), {int(wrong.sum())} of {wrong.numel()} entries off, the worst at index "
            f"{worst}: yours {a[worst].item() + 0.0:.6g}, expected {e[worst].item() + 0.0:.6g}")


def _close(actual: torch.Tensor, expected: torch.Tensor, rtol, atol) -> bool:
    """assert_close's test, |actual - expected| <= atol + rtol |expected| everywhere, done
    directly: torch.testing.assert_close costs about 1 s on its first call (torch 2.13
    imports sympy and DTensor for it), so it is called only to report a failure."""
    if (rtol is None) != (atol is None) or actual.layout != torch.strided or \
            expected.layout != torch.strided or actual.device != expected.device or \
            actual.is_complex() or expected.is_complex():
        return False  # assert_close decides (and explains) these
    if expected.dtype not in _DEFAULT_TOLERANCES and rtol is None:
        return torch.equal(actual, expected)
    rtol, atol = _tolerances(expected.dtype, rtol, atol)
    with torch.no_grad():
        return bool(torch.isclose(actual, expected, rtol=rtol, atol=atol).all())


def check_close(name: str, actual, expected: torch.Tensor, *, rtol=None, atol=None,
                factors: dict | None = None, hint: str = "") -> None:
    """``torch.testing.assert_close(actual, expected)`` with a diagnosis in front of its report.

    Raises AssertionError "NAME <diagnosis>. <hint>" followed by torch's own message
    (greatest difference, its index, both values), so nothing torch says is lost.
    Args:
        name: what the student computed, as it appears in the exercise (e.g. "dW").
        actual: the student's value; expected: the reference tensor.
        rtol, atol: as in torch.testing.assert_close (None: torch's defaults for the dtype).
        factors: constants a student may forget, e.g. {"N": 8}, to name them in the diagnosis.
        hint: one more sentence appended to the diagnosis.
    """
    tail = f" {hint}" if hint else ""
    if actual is None:
        raise AssertionError(f"{name} is None: did a function forget its `return`, or a "
                             "variable stay unset?" + tail)
    if not isinstance(actual, torch.Tensor):
        kind = type(actual)
        if kind.__module__ != "builtins":  # numpy.float64, not a bare "float64" (torch's dtype?)
            kind = f"{kind.__module__}.{kind.__qualname__}"
        else:
            kind = kind.__name__
        raise AssertionError(f"{name} should be a torch.Tensor, got {kind}"
                             " (build it with torch operations, or torch.as_tensor)." + tail)
    if actual.shape != expected.shape:
        transposed = (actual.dim() == expected.dim() == 2
                      and actual.shape == expected.shape[::-1])
        extra = " (transposed?)" if transposed else ""
        raise AssertionError(f"{name} should have shape {tuple(expected.shape)}, "
                             f"got {tuple(actual.shape)}{extra}.{tail}")
    if actual.dtype != expected.dtype:
        raise AssertionError(f"{name} should have dtype {expected.dtype}, got {actual.dtype}."
                             f"{tail}")
    if _close(actual, expected, rtol, atol):
        return
    try:
        torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol)
    except AssertionError as error:
        diagnosis = diagnose(actual, expected, factors, rtol, atol)
        stop = "" if diagnosis.endswith("?") else "."
        raise AssertionError(f"{name} {diagnosis}{stop}{tail}\n\n{error}") from None


def _call_name(func) -> str:
    """"einsum", "matmul", "__getitem__"; an attribute read such as ``t.shape`` gives "shape"."""
    name = getattr(func, "__name__", repr(func))
    if name == "__get__":  # a property of Tensor: the name is its descriptor's
        name = getattr(getattr(func, "__self__", None), "__name__", name)
    return name


class _CallRecorder(TorchFunctionMode):
    """Appends the name of every torch call made while it is active to ``calls``."""

    def __init__(self, calls: list):
        super().__init__()
        self.calls = calls

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.calls.append(_call_name(func))
        return func(*args, **(kwargs or {}))


@contextmanager
def count_torch_calls():
    """Record, by name and in order, the torch calls made inside a ``with`` block.

    Example::

        with count_torch_calls() as calls:
            dist = pairwise_sq_dists(P, Q)
        # calls == ["__getitem__", "__getitem__", "sub", "pow", "sum"]

    One entry per torch function, Tensor method, operator (``a @ b`` is "matmul",
    ``a[i]`` "__getitem__", ``a += b`` "add_") and Tensor attribute read (``t.shape``
    is "shape"); the calls torch makes inside those are not recorded. So a Python loop
    over N rows makes a multiple of N calls, broadcasting a fixed handful, and "one
    einsum call" is ``calls.count("einsum") == 1``. Yields the list, filled as the
    block runs; recording stops when the block ends, also on an exception.
    """
    calls: list[str] = []
    with _CallRecorder(calls):
        yield calls


def matches(actual, value: torch.Tensor) -> bool:
    """True when ``actual`` is a tensor of value's shape equal to it to rounding (float64).

    For naming a known wrong formula: ``if matches(dX, wrong_formula): raise ...``.
    """
    return (isinstance(actual, torch.Tensor) and actual.shape == value.shape
            and torch.allclose(actual.detach().double(), value.detach().double()))


def _module_watch(prefix: str, seen: list):
    """A sys.setprofile hook that appends "module.function" of the first few Python functions
    of the module ``prefix`` (or a submodule) that are entered."""
    def profile(frame, event, arg):
        if event == "call" and len(seen) < 10:
            module = frame.f_globals.get("__name__") or ""
            if module == prefix or module.startswith(prefix + "."):
                seen.append(f"{module}.{frame.f_code.co_qualname}")
    return profile


def call_exercise(function, *args, keeps: dict | None = None, refuse: str | None = None, **kwargs):
    """Call a student's function as every gradient exercise check does; return (result, calls).

    It runs under ``torch.no_grad()`` and ``count_torch_calls()``, so a gradient must come from
    the derivation: asking autograd raises an AssertionError that says so. Afterwards every
    tensor argument (named as in the function's signature) and every tensor of ``keeps``
    ({name as the exercise writes it: tensor}, e.g. {"out.g": out.g}) must be unchanged: an
    in-place change (``-=``, ``clamp_``, or an alias such as ``g = out.g; g *= 2``) raises an
    AssertionError naming it. ``refuse`` names a module (e.g. "torch.optim") that the exercise
    re-implements: entering any Python function of it or of its submodules, however it was
    imported, raises an AssertionError naming the function. A NotImplementedError (an
    unfinished stub) passes through.
    """
    name = getattr(function, "__name__", "your function")
    bound = inspect.signature(function).bind(*args, **kwargs)
    keeps = keeps or {}
    named = {id(t) for t in keeps.values()}  # a tensor in keeps goes by the name given there
    watched = {key: t for key, t in bound.arguments.items()
               if isinstance(t, torch.Tensor) and id(t) not in named} | keeps
    before = {key: t.detach().clone() for key, t in watched.items()}
    refused: list[str] = []
    previous_profile = sys.getprofile()
    if refuse:
        sys.setprofile(_module_watch(refuse, refused))

    def refusal() -> AssertionError:
        # a name the student can look up: not a wrapper defined inside a function
        public = [entered for entered in refused if "<locals>" not in entered] or refused
        return AssertionError(f"{name} calls {refuse} ({public[0]}): writing it yourself "
                              "with tensor operations is the exercise")

    try:
        with torch.no_grad(), count_torch_calls() as calls:
            result = function(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as error:
        if refused:
            raise refusal() from None
        if not isinstance(error, RuntimeError) or "does not require grad" not in str(error):
            raise
        raise AssertionError(f"{name} asked autograd for the gradient (.backward() or "
                             "torch.autograd.grad), which fails under torch.no_grad(), where the "
                             "check calls it: derive the gradient and write its formula") from None
    finally:
        if refuse:
            sys.setprofile(previous_profile)
    if refused:
        raise refusal()
    if "backward" in calls or "grad" in calls:
        raise AssertionError(f"{name} used autograd (.backward(), torch.autograd.grad or .grad): "
                             "derive the gradient and write its formula")
    for key, t in watched.items():
        if t.shape != before[key].shape or not torch.equal(t, before[key]):
            raise AssertionError(f"{name} changed its argument {key} in place (an in-place "
                                 f"operation such as -=, *= or a method ending in _, or an alias: "
                                 f"g = {key} makes no copy): compute a new tensor instead")
    return result, calls
