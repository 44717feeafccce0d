"""From the course's engine to torch.nn and back: the same model, the same weights.

``to_torch(model)`` builds the ``torch.nn.Sequential`` with the same layers and loads
the engine's state dict into it; ``from_torch(torch_model)`` does the reverse. The
two share no memory: training one leaves the other as it was. Layer by layer:

    course_utils.layers     torch.nn
    Linear(i, o, bias)      Linear(i, o, bias)      weight (o, i), bias (o,)
    ReLU, Sigmoid, Tanh     ReLU, Sigmoid, Tanh
    ReQU                    ReQU (below: torch has none)
    LogSoftmax(dim)         LogSoftmax(dim)
    Dropout(p)              Dropout(p)              p = probability of dropping
    BatchNorm1d(C, eps, m)  BatchNorm1d(C, eps, m)  running statistics included
    Sequential              Sequential              children "0", "1", ...

Parameter names match ("0.weight", "2.bias"), so a state dict of one loads into the
other unchanged. The dtype of the parameters is kept (all parameters must share one
dtype: a model with mixed dtypes is refused, convert it with ``.to(dtype)`` first); the
train/eval mode is kept too.
Building the new layers draws (and discards) initial weights from torch's global
generator, as constructing them by hand would.
"""

import torch
from torch import nn

from course_utils import layers
from course_utils._checks import type_name

__all__ = ["ReQU", "from_torch", "to_torch"]


class ReQU(nn.Module):
    """Rectified quadratic unit for torch.nn: out = max(x, 0)^2; autograd derives 2 max(x, 0).

    Shape:
        - x, out: (*), any shape, the same
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x) ** 2


_SIMPLE = ((layers.ReLU, nn.ReLU), (layers.Sigmoid, nn.Sigmoid), (layers.Tanh, nn.Tanh),
           (layers.ReQU, ReQU))


def _name(value) -> str:
    """'torch.nn.Linear', 'course_utils.layers.Sequential': names a student can look up."""
    kind = type(value)
    if kind.__module__.startswith("torch.nn."):
        return f"torch.nn.{kind.__name__}"
    if kind.__module__.startswith("course_utils."):
        return f"{kind.__module__}.{kind.__qualname__}"
    return type_name(value)


def _one_dtype(named_tensors, where: str) -> torch.dtype:
    """The dtype shared by all parameters (float32 if there are none); mixed dtypes are refused."""
    dtypes = {}
    for name, t in named_tensors:
        dtypes.setdefault(t.dtype, name)
    if len(dtypes) > 1:
        found = ", ".join(f"{name} {dtype}" for dtype, name in dtypes.items())
        raise TypeError(f"{where}: the parameters have different dtypes ({found}); the copy would "
                        "convert them all to one: call model.to(dtype) first")
    return next(iter(dtypes), torch.float32)


def _torch_layer(module, i: int) -> nn.Module:
    """The torch.nn layer equivalent to one course layer (weights copied later)."""
    for ours, theirs in _SIMPLE:
        if type(module) is ours:
            return theirs()
    if isinstance(module, layers.Linear):
        return nn.Linear(module.in_features, module.out_features, bias=module.bias is not None)
    if isinstance(module, layers.LogSoftmax):
        return nn.LogSoftmax(dim=module.dim)
    if isinstance(module, layers.Dropout):
        return nn.Dropout(p=module.p)
    if isinstance(module, layers.BatchNorm1d):
        return nn.BatchNorm1d(module.num_features, eps=module.eps, momentum=module.momentum)
    if isinstance(module, layers.Sequential):
        return _torch_sequential(module)
    raise TypeError(f"to_torch: no torch.nn equivalent for {_name(module)} at position {i}; "
                    "known: Linear, ReLU, Sigmoid, Tanh, ReQU, LogSoftmax, Dropout, "
                    "BatchNorm1d, Sequential")


def _course_layer(module, i: int):
    """The course layer equivalent to one torch.nn layer (weights copied later)."""
    for ours, theirs in _SIMPLE:
        if type(module) is theirs:
            return ours()
    if type(module) is nn.Linear:
        return layers.Linear(module.in_features, module.out_features,
                             bias=module.bias is not None)
    if type(module) is nn.LogSoftmax and isinstance(module.dim, int):
        return layers.LogSoftmax(dim=module.dim)
    if type(module) is nn.Dropout and not module.inplace:
        return layers.Dropout(p=module.p)
    if type(module) is nn.BatchNorm1d and module.affine and module.track_running_stats:
        return layers.BatchNorm1d(module.num_features, eps=module.eps, momentum=module.momentum)
    if type(module) is nn.Sequential:
        return _course_sequential(module)
    raise TypeError(f"from_torch: no course_utils layer for {_name(module)} ({module!r}) "
                    f"at position {i}; known: Linear, ReLU, Sigmoid, Tanh, ReQU, "
                    "LogSoftmax(dim=int), Dropout (not inplace), BatchNorm1d (affine, with "
                    "running statistics), Sequential")


def _torch_sequential(model) -> nn.Sequential:
    return nn.Sequential(*(_torch_layer(m, i) for i, m in enumerate(model)))


def _course_sequential(model):
    return layers.Sequential(*(_course_layer(m, i) for i, m in enumerate(model)))


def to_torch(model) -> nn.Sequential:
    """A torch.nn.Sequential equal to the course ``Sequential`` model, with copied weights.

    Args:
        model: course_utils.layers.Sequential of the layers in the module docstring.
    Returns:
        torch.nn.Sequential in model's dtype and mode; model(X) == returned(X) up to rounding.
    """
    if not isinstance(model, layers.Sequential):
        raise TypeError(f"to_torch expected a course_utils.layers.Sequential, got "
                        f"{_name(model)}")
    dtype = _one_dtype(((name, p.data) for name, p in model.named_parameters()), "to_torch")
    torch_model = _torch_sequential(model).to(dtype)
    torch_model.load_state_dict({k: v.clone() for k, v in model.state_dict().items()})
    return torch_model.train(model.training)


def from_torch(torch_model: nn.Module):
    """A course ``Sequential`` equal to the torch.nn.Sequential, with copied weights.

    Args:
        torch_model: torch.nn.Sequential of the layers in the module docstring.
    Returns:
        course_utils.layers.Sequential in torch_model's dtype and mode.
    """
    if type(torch_model) is not nn.Sequential:
        raise TypeError(f"from_torch expected a torch.nn.Sequential, got {_name(torch_model)}"
                        "; for your own nn.Module subclass, build the course model by hand and "
                        "copy the tensors of its state_dict()")
    dtype = _one_dtype(torch_model.named_parameters(), "from_torch")
    model = _course_sequential(torch_model).to(dtype)
    model.load_state_dict({k: v.detach().clone() for k, v in torch_model.state_dict().items()})
    return model.train(torch_model.training)
