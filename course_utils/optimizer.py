"""The Optimizer base class of course_utils.optim: parameters, steps and checkpoints.

A subclass names its hyper-parameters (``_hyper``), the torch.optim options it
does NOT implement with the value it always behaves as (``_torch_only``), the
buffers it keeps per parameter (``_state_keys``), and implements
``_validated(**hyper) -> dict`` and ``_update(param, grad, state)``.

``state_dict()`` has torch.optim's structure, so checkpoints move both ways
between the course's optimizers and torch.optim:

    {"state": {0: {"momentum_buffer": tensor}, ...},      # index -> buffers
     "param_groups": [{"lr": 0.1, ..., "params": [0, 1, ...]}]}
"""

import math
from collections.abc import Mapping

import torch

from course_utils._checks import check_tensor, is_real, type_name


class Optimizer:
    """Base class: keeps the parameter list, zeroes gradients, calls _update per parameter.

    Args:
        params: iterable of objects with ``.data`` and ``.grad`` tensors of the same
            shape (e.g. ``model.parameters()``); read once into a list, non-empty,
            without repeats.
    """

    _hyper: tuple = ()
    _torch_only: dict = {}
    _state_keys: tuple = ()

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

    def _refuse(self, torch_options: dict) -> None:
        """TypeError for keyword arguments this optimizer does not take, naming torch's ones."""
        name = type(self).__name__
        for option, value in torch_options.items():
            if option not in self._torch_only:
                raise TypeError(f"{name} got an unexpected keyword argument {option!r}")
            default = self._torch_only[option]
            raise TypeError(f"{name} got {_not_ours(name, option, value, default)}; "
                            "remove the argument")

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
            if p.grad.dtype != p.data.dtype:
                raise TypeError(f"{type(self).__name__}: parameter {i} is {p.data.dtype} but its "
                                f"grad is {p.grad.dtype}: the gradient must have the "
                                f"parameter's dtype; convert it with p.grad.to({p.data.dtype})")
            self._update(p.data, p.grad, self.state[i])

    def _update(self, param: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    def state_dict(self) -> dict:
        """Hyper-parameters and buffers, in torch.optim's structure (see the module docstring).

        As in torch, the buffers are the optimizer's own tensors, not copies: save the
        dict (torch.save, save_checkpoint) or deep-copy it to keep a snapshot.
        """
        group = {k: getattr(self, k) for k in self._hyper} | self._torch_only
        state = {i: {k: torch.tensor(float(v)) if k == "step" else v for k, v in s.items()}
                 for i, s in enumerate(self.state) if s}
        return {"state": state,
                "param_groups": [group | {"params": list(range(len(self.params)))}]}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take hyper-parameters and buffers from state_dict (ours or torch.optim's).

        Buffers are copied and cast to each parameter's dtype, as torch does. Strict:
        the same number of parameters, shapes and buffers; torch options this
        optimizer lacks must hold the value it behaves as. Nothing changes on error.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{name}.load_state_dict expected the dict of "
                            f"optimizer.state_dict(), got {type_name(state_dict)}")
        if not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(f"{name}.load_state_dict expected a dict with 'state' and "
                             f"'param_groups' (from optimizer.state_dict()), got keys "
                             f"{sorted(state_dict)}")
        groups = state_dict["param_groups"]
        if not isinstance(groups, list | tuple) or len(groups) != 1:
            got = len(groups) if isinstance(groups, list | tuple) else type_name(groups)
            raise ValueError(f"{name}.load_state_dict expected one parameter group, got {got}")
        group = dict(groups[0])
        ids = list(group.pop("params", ()))
        if len(ids) != len(self.params):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(ids)} parameters, "
                             f"this {name} has {len(self.params)}")
        settings = self._validated(**self._settings(group))
        state = self._buffers(state_dict["state"], ids)
        vars(self).update(settings)
        self.state = state

    def _settings(self, group: dict) -> dict:
        """Our hyper-parameters from a param group; torch-only options must hold our value."""
        where = f"{type(self).__name__}.load_state_dict"
        for option, default in self._torch_only.items():
            if option in group and group[option] != default:
                raise ValueError(f"{where}: the state dict has "
                                 + _not_ours(type(self).__name__, option, group[option], default))
        ignored = {*self._torch_only, "initial_lr", "param_names"}  # lr schedulers add initial_lr
        missing = [k for k in self._hyper if k not in group]
        unexpected = [k for k in group if k not in self._hyper and k not in ignored]
        if missing or unexpected:
            what = f"missing {missing[0]!r}" if missing else f"unexpected setting {unexpected[0]!r}"
            raise ValueError(f"{where}: {what} in the parameter group (a state dict of another "
                             "optimizer?)")
        return {k: group[k] for k in self._hyper}

    def _buffers(self, state, ids: list) -> list:
        """Per-parameter buffers from a state dict's "state", checked, copied and cast."""
        where = f"{type(self).__name__}.load_state_dict"
        position = {pid: i for i, pid in enumerate(ids)}
        new = [{} for _ in self.params]
        for pid, buffers in dict(state).items():
            if pid not in position:
                raise ValueError(f"{where}: state for parameter {pid!r}, which is not in "
                                 "param_groups")
            i, p = position[pid], self.params[position[pid]].data
            if not isinstance(buffers, Mapping) or set(buffers) != set(self._state_keys):
                got = sorted(buffers) if isinstance(buffers, Mapping) else type_name(buffers)
                raise ValueError(f"{where}: state of parameter {i}: expected keys "
                                 f"{sorted(self._state_keys)}, got {got}")
            for key, value in buffers.items():
                new[i][key] = _step(value, where, i) if key == "step" else \
                    _buffer(value, p, f"{where}: state of parameter {i}: {key!r}")
        return new

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={getattr(self, k)}" for k in self._hyper)
        return f"{type(self).__name__}({settings})"


def _not_ours(name: str, option: str, value, default) -> str:
    return (f"{option}={value!r}: {option!r} is a torch.optim.{name} option that is not part "
            f"of the course's {name}, which always behaves as {option}={default!r}")


def _step(value, where: str, i: int) -> int:
    """A step count from an int or a 0-dim tensor (torch stores tensor(25.))."""
    number = value.item() if isinstance(value, torch.Tensor) and value.numel() == 1 else value
    if not is_real(number) or not math.isfinite(number) or number < 0 or number != int(number):
        raise ValueError(f"{where}: state of parameter {i}: 'step' expected a count >= 0, "
                         f"got {value!r}")
    return int(number)


def _buffer(value, param: torch.Tensor, where: str) -> torch.Tensor:
    check_tensor(value, where)
    if value.shape != param.shape:
        raise ValueError(f"{where} expected shape {tuple(param.shape)}, got {tuple(value.shape)}")
    return value.detach().to(device=param.device, dtype=param.dtype, copy=True)
