"""Helpers of course_utils.module (private): state-dict checks, forwards that keep nothing."""

from contextlib import contextmanager

import torch


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
