"""Helpers of course_utils.module (private): checks, forwards that keep nothing, repr."""

from contextlib import contextmanager

import torch

from course_utils._checks import check_tensor


def state_dict_problems(params: dict, state_dict: dict) -> list:
    """Every reason state_dict cannot be loaded into params, as readable strings."""
    missing = [k for k in params if k not in state_dict]
    unexpected = [k for k in state_dict if k not in params]
    problems = [f"missing keys {missing}"] if missing else []
    problems += [f"unexpected keys {unexpected}"] if unexpected else []
    for name, p in params.items():
        if name not in state_dict:
            continue
        value = state_dict[name]
        if not isinstance(value, torch.Tensor):
            problems.append(f"'{name}' expected a tensor, got {type(value).__name__}")
        elif value.shape != p.shape:
            problems.append(
                f"'{name}' expected shape {tuple(p.shape)}, got {tuple(value.shape)}"
            )
        elif not bool(torch.isfinite(value).all()):
            problems.append(f"'{name}' expected finite values, got nan or inf")
    return problems


def submodules(module):
    """module and every Module inside it, depth first."""
    yield module
    for child in module.children():
        yield from submodules(child)


@contextmanager
def unchanged(module):
    """Run the block, then put back every attribute of module and its submodules."""
    saved = [(m, dict(vars(m))) for m in submodules(module)]
    try:
        yield
    finally:
        for m, attributes in saved:
            vars(m).clear()
            vars(m).update(attributes)


def check_grad_output(module, grad_output, shape: torch.Size, dtype=None) -> None:
    """A tensor of out's shape (and dtype), and not the gradient of an earlier forward."""
    name = type(module).__name__
    check_tensor(grad_output, f"{name}.backward", "grad_output")
    if grad_output.shape != shape:
        raise ValueError(f"{name}.backward expected grad_output of the output's shape "
                         f"{tuple(shape)}, got {tuple(grad_output.shape)}")
    if dtype is not None and grad_output.dtype != dtype:
        raise TypeError(f"{name}.backward expected grad_output of the output's dtype {dtype}, "
                        f"got {grad_output.dtype}: convert it with .to({dtype}), or compute "
                        "the loss in the model's dtype")
    source = getattr(grad_output, "_grad_of", None)  # the loss's input (see the losses)
    if getattr(source, "_made_by", None) is module and source is not module._output:
        raise RuntimeError(
            f"{name}.backward got the gradient of an earlier output: the module ran forward "
            "again since (e.g. validation logits computed between model(X) and "
            "model.backward(...)) and now holds that forward's values. Run forwards you do "
            "not backpropagate through under `with torch.no_grad():`, or after backward"
        )


def module_repr(module) -> str:
    """torch.nn's layout: Name(extra) for a leaf, one indented line per child otherwise."""
    children = {id(child) for child in module.children()}
    named = [(k, v) for k, v in vars(module).items() if id(v) in children]
    if not named:
        return f"{type(module).__name__}({module.extra_repr()})"
    lines = [f"  ({k}): " + repr(v).replace("\n", "\n  ") for k, v in named]
    return f"{type(module).__name__}(\n" + "\n".join(lines) + "\n)"
