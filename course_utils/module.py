"""Parameter and Module: the machinery every layer and loss of the course shares.

The Module contract (the same split as Torch7's updateOutput / updateGradInput /
accGradParameters):

- ``forward(x)`` computes the output AND keeps what backward will need (the
  input, the output, a mask), because the chain rule evaluates local
  derivatives at the point where forward was run.
- ``backward(grad_output)`` receives dL/d(output), returns grad_input = dL/dx,
  and ADDS dL/dp into ``p.grad`` for every parameter p (``+=``, never ``=``).

Why accumulate: a parameter used twice (shared weights, or two batches whose
gradients we sum) receives one contribution per use, and the total gradient
is their sum; assigning would keep only the last one. The price is that you
must call ``zero_grad()`` before each new backward pass, as in PyTorch.

A module remembers ONE forward, the last one run outside ``torch.no_grad()``;
the Module docstring says why and what that protects you from.

Parameters and submodules are registered by plain attribute assignment
(``self.weight = Parameter(...)``, ``self.fc = Linear(...)``): named_parameters
finds them by walking the attributes in the order they were assigned, so the
names ("0.weight", "fc.bias") are the ones torch.nn gives the same model.
"""

from collections.abc import Mapping

import torch

from course_utils._checks import check_tensor, type_name
from course_utils._module_state import (
    check_grad_output,
    module_repr,
    state_dict_problems,
    submodules,
    unchanged,
)


class Parameter:
    """A trainable tensor and the gradient accumulated for it.

    Args:
        data: floating tensor of any shape (kept as is, detached from autograd).
    Attributes:
        data: the values, shape S; optimizers update it in place.
        grad: dL/d(data), shape S, starts at zeros; backward adds into it.
    """

    def __init__(self, data: torch.Tensor):
        if not isinstance(data, torch.Tensor) or not data.is_floating_point():
            got = data.dtype if isinstance(data, torch.Tensor) else type(data).__name__
            raise TypeError(f"Parameter expected a floating-point tensor, got {got}")
        self.data = data.detach()
        self.grad = torch.zeros_like(self.data)

    @property
    def shape(self) -> torch.Size:
        """The shape of data (and of grad)."""
        return self.data.shape

    def __repr__(self) -> str:
        return f"Parameter(shape={tuple(self.data.shape)}, dtype={self.data.dtype})"


class Module:
    """Base class of layers and losses: forward keeps state, backward uses it.

    Subclasses implement ``forward(x) -> out`` and ``backward(grad_output) ->
    grad_input`` (grad_output: dL/dout, shape of out; grad_input: dL/dx, shape
    of x) and add dL/dp into ``p.grad`` for their parameters. Calling the
    module, ``module(x)``, checks that the inputs are tensors and calls forward.
    ``training`` is True until ``eval()``.

    Two forwards, one backward. A module keeps what ONE forward needs, so
    backward always belongs to the LAST forward run while gradients are
    recorded. The trap: computing validation logits between ``model(X)`` and
    ``model.backward(...)`` would silently give the gradient at the validation
    batch. Two rules make it safe or loud:

    1. ``with torch.no_grad(): model(X_val)`` records nothing: the module (and
       every submodule) is left as it was, so a later backward still belongs to
       ``model(X)``. This is torch's own idiom for evaluation (there it skips
       building the graph), so the habit carries over to torch.nn unchanged.
    2. A loss tags the gradient it returns with the output it was computed
       from; if this module made that output but has run forward since,
       backward raises RuntimeError (the forgotten ``no_grad`` fails instead
       of lying). Gradients you build yourself (torch.ones_like(out)) carry
       no tag and are taken as they are.

    Why not make eval mode record nothing: gradient checks and saliency maps
    run forward and backward in eval mode, and torch records in eval mode too.
    Not covered: a second loss forward without no_grad (``loss_fn(model(X_val),
    y_val)``) makes both the model and the loss belong to the validation batch;
    backward is then consistent, and it is the validation gradient.
    Running statistics that a forward updates in place are not restored.
    """

    training = True  # the default even if a subclass forgets super().__init__()
    _output = None  # the last recorded output (see the tag check in _check_grad_output)
    _buffer_names = ()  # attributes registered with register_buffer, in order

    def __init__(self):
        self.training = True

    def __call__(self, *args, **kwargs):
        for value in (*args, *kwargs.values()):
            check_tensor(value, type(self).__name__)
        if not torch.is_grad_enabled():
            with unchanged(self):
                return self.forward(*args, **kwargs)
        out = self.forward(*args, **kwargs)
        self._output = out
        if isinstance(out, torch.Tensor):
            out._made_by = self  # outermost module last: Sequential overwrites its last layer
        return out

    def __setattr__(self, name: str, value) -> None:
        if isinstance(self.__dict__.get(name), Parameter) and not (
                value is None or isinstance(value, Parameter)):
            raise TypeError(
                f"cannot assign {type_name(value)} to {type(self).__name__}.{name}, which is a "
                "Parameter: parameters(), state_dict() and the optimizer would lose it. Change "
                f"the values in place with .{name}.data.copy_(tensor), or assign a new "
                f"Parameter: .{name} = Parameter(tensor)"
            )
        object.__setattr__(self, name, value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Compute out from x, e.g. x: (N, D_in) -> out: (N, D_out); keep what backward needs."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        """Return grad_input = dL/dx (x's shape) given grad_output = dL/dout (out's shape).

        Also ADDS dL/dp into p.grad for each parameter p (chain rule at the saved point).
        """
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_output)")

    def _not_run(self):
        """The error backward raises when forward has not stored what it needs."""
        name = type(self).__name__
        return RuntimeError(
            f"{name}.backward called before {name}.forward: forward stores the values "
            "the gradient needs; call forward (model(X)) first (a forward under "
            "torch.no_grad() keeps nothing)"
        )

    def _check_grad_output(self, grad_output, shape: torch.Size, dtype=None) -> None:
        """grad_output: a tensor of out's shape (and dtype), from the last recorded forward."""
        check_grad_output(self, grad_output, shape, dtype)

    def children(self):
        """The direct submodules, in the order they were assigned."""
        return [v for v in vars(self).values() if isinstance(v, Module)]

    def named_parameters(self, prefix: str = "", remove_duplicate: bool = True):
        """Yield (name, Parameter) for this module and its submodules.

        Names join attribute names with dots, as torch.nn: "0.weight", "fc.bias".
        A Parameter shared by two layers comes once, under its first name, unless
        remove_duplicate=False (state dicts list it under every name, as torch).
        """
        seen = set()
        for name, p in self._all_parameters(prefix):
            if not remove_duplicate or id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _all_parameters(self, prefix: str):
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value._all_parameters(prefix + name + ".")

    def register_buffer(self, name: str, tensor: torch.Tensor) -> None:
        """Keep ``tensor`` as attribute ``name``, in state_dict() and moved by to(), as torch.

        For state that is not trained (BatchNorm's running statistics): no gradient,
        not in parameters(), so the optimizer never touches it.
        """
        check_tensor(tensor, f"{type(self).__name__}.register_buffer", name)
        self._buffer_names = (*self._buffer_names, name)
        setattr(self, name, tensor)

    def named_buffers(self, prefix: str = ""):
        """Yield (name, tensor) for the buffers of this module and its submodules."""
        yield from ((n, t) for n, t in self._state(prefix) if not isinstance(t, Parameter))

    def _state(self, prefix: str):
        """(name, Parameter or buffer tensor), in attribute order, shared ones repeated."""
        for name, value in vars(self).items():
            if isinstance(value, Parameter) or name in self._buffer_names:
                yield prefix + name, value
            elif isinstance(value, Module):
                yield from value._state(prefix + name + ".")

    def parameters(self) -> list:
        """All Parameters (list), in named_parameters order; give it to an optimizer."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every p.grad to zeros (in place) before the next backward pass."""
        for p in self.parameters():
            p.grad.zero_()

    def train(self, mode: bool = True):
        """Set training mode (Dropout drops) on this module and all submodules; returns self."""
        if not isinstance(mode, bool):  # bool("False") is True: refuse rather than guess
            raise TypeError(f"{type(self).__name__}.train expected mode True or False, "
                            f"got {mode!r} ({type_name(mode)})")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Set evaluation mode (Dropout is the identity); same as train(False); returns self."""
        return self.train(False)

    def to(self, device=None, dtype=None):
        """Move every parameter, gradient and buffer to device and/or floating dtype; returns self.

        Like torch, ``model.to(torch.float64)`` is accepted as a dtype.
        """
        if isinstance(device, torch.dtype):
            device, dtype = None, device
        if dtype is not None and not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
            raise TypeError(f"{type(self).__name__}.to expected a floating dtype, got {dtype}")
        for p in self.parameters():
            p.data = p.data.to(device=device, dtype=dtype)
            p.grad = p.grad.to(device=device, dtype=dtype)
        for m in submodules(self):
            for name in m._buffer_names:  # integer buffers (a counter) keep their dtype
                t = getattr(m, name)
                t_dtype = dtype if t.is_floating_point() else None
                setattr(m, name, t.to(device=device, dtype=t_dtype))
        return self

    def state_dict(self) -> dict:
        """Dict name -> parameter or buffer tensor, loadable by the same torch.nn model.

        As in torch, the tensors SHARE memory with the parameters and buffers: training
        changes them too. For a snapshot use {k: v.clone() for k, v in sd.items()}.
        """
        return {name: t.data if isinstance(t, Parameter) else t for name, t in self._state("")}

    def load_state_dict(self, state_dict: dict) -> None:
        """Copy values into the parameters and buffers (strict: same names, shapes, finite).

        Values are copied (and cast to the parameter's or buffer's dtype), not shared.
        Raises RuntimeError listing every missing, unexpected or mis-shaped key
        (TypeError if state_dict is not a dict).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict expected a dict name -> "
                            f"tensor, got {type(state_dict).__name__}")
        targets = self.state_dict()  # the parameters' data and the buffers, by name
        problems = state_dict_problems(targets, state_dict)
        if problems:
            raise RuntimeError(
                f"{type(self).__name__}.load_state_dict: " + "; ".join(problems)
            )
        with torch.no_grad():  # a torch state dict may hold tensors that require grad
            for name, tensor in targets.items():
                tensor.copy_(state_dict[name])

    def extra_repr(self) -> str:
        """The text shown between the parentheses of repr (e.g. the sizes)."""
        return ""

    def __repr__(self) -> str:
        return module_repr(self)
