"""Layers with hand-written backward passes: Linear, Dropout, Sequential, activations.

Each layer follows the Module contract (see course_utils.module): forward keeps
what backward needs; backward(grad_output) returns grad_input and ADDS the
parameter gradients into p.grad. Shapes below use N for the batch size.
This is the one place to import layers from: Module and Parameter (module.py)
and the activations (activations.py) are re-exported here, e.g.
``from course_utils.layers import Module, Parameter, Linear, ReLU``.
"""

import math

import torch

from course_utils._checks import is_real, positive_int
from course_utils._module_state import submodules
from course_utils.activations import LogSoftmax, ReLU, ReQU, Sigmoid, Tanh
from course_utils.module import Module, Parameter
from course_utils.normalization import BatchNorm1d

__all__ = [
    "BatchNorm1d", "Dropout", "Linear", "LogSoftmax", "Module", "Parameter", "ReLU", "ReQU",
    "Sequential", "Sigmoid", "Tanh",
]


class Linear(Module):
    """Affine layer: out = X W^T + b, with W in torch's (out, in) layout.

    Backward: dX = grad_output W; dW += grad_output^T X; db += sum_n grad_output[n].
    Init as torch.nn.Linear: W, b ~ U(-1/sqrt(in), 1/sqrt(in)) from torch's global
    generator, W first: after the same torch.manual_seed, equal to torch.nn.Linear.

    Shape:
        - X, dX: (N, in_features); out, grad_output: (N, out_features)
        - weight, dW: (out_features, in_features); bias, db: (out_features,)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features = positive_int(in_features, "Linear in_features")
        self.out_features = positive_int(out_features, "Linear out_features")
        # torch draws W with kaiming_uniform_(a=sqrt(5)), whose bound is 1/sqrt(in)
        # written as gain * sqrt(3 / in); the two differ in the last bit of a
        # float64, so we evaluate it the same way to draw bit-identical weights.
        gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
        w_bound = math.sqrt(3.0) * (gain / math.sqrt(in_features))
        self.weight = Parameter(torch.empty(out_features, in_features).uniform_(-w_bound, w_bound))
        b_bound = 1 / math.sqrt(in_features)
        self.bias = None
        if bias:
            self.bias = Parameter(torch.empty(out_features).uniform_(-b_bound, b_bound))
        self._X = None

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        W = self.weight.data
        if X.ndim != 2 or X.shape[1] != self.in_features:
            raise ValueError(
                f"Linear expected input of shape (N, {self.in_features}), got {tuple(X.shape)}"
            )
        if X.dtype != W.dtype:
            fix = f" or the model with model.to({X.dtype})" if X.is_floating_point() else ""
            raise TypeError(
                f"Linear expected {W.dtype} input (the weight's dtype), got {X.dtype}: "
                f"convert X with X.to({W.dtype}){fix}"
            )
        self._X = X
        if self.bias is None:
            return X @ W.T  # (N, out)
        return torch.addmm(self.bias.data, X, W.T)  # b + X W^T in one call, (N, out)

    def backward(self, grad_output: torch.Tensor, input_grad: bool = True):
        """Add dW, db into the grads; return dX (N, in), or None if input_grad is False.

        input_grad=False skips dX: for a first layer X is data, nobody needs dX,
        and it costs as much as the forward matmul (autograd skips it too).
        """
        X = self._X
        if X is None:
            raise self._not_run()
        self._check_grad_output(grad_output, (X.shape[0], self.out_features), X.dtype)
        self.weight.grad.addmm_(grad_output.T, X)  # += (out, N) @ (N, in)
        if self.bias is not None:
            self.bias.grad += grad_output.sum(0)  # (out,)
        return grad_output @ self.weight.data if input_grad else None  # (N, in)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Dropout(Module):
    """Inverted dropout: out = x * m / (1 - p), m ~ Bernoulli(1 - p), in training only.

    Each entry is zeroed with probability p (the DROP probability); survivors are
    scaled by 1/(1-p), so E[out] = x and eval needs no rescaling (eval: out = x).
    Backward uses the SAME mask: grad_input = grad_output * m / (1 - p).
    Same random stream as torch.nn.Dropout: same seed, same mask.

    Shape:
        - x, out, grad_output, grad_input: (*), any shape, all the same
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not is_real(p) or not 0 <= p < 1:
            raise ValueError(f"Dropout expected a drop probability p in [0, 1), got {p!r}")
        self.p = float(p)
        self._mask = None
        self._like = None  # shape and dtype of the last input, which grad_output must have

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._like = (x.shape, x.dtype)
        if not self.training or self.p == 0:
            self._mask = None  # identity: backward passes grad_output through
            return x
        keep = 1 - self.p
        self._mask = torch.empty_like(x).bernoulli_(keep).div_(keep)  # entries 0 or 1/(1-p)
        return x * self._mask

    def backward(self, grad_output: torch.Tensor) -> torch.Tensor:
        if self._like is None:
            raise self._not_run()
        self._check_grad_output(grad_output, *self._like)
        return grad_output if self._mask is None else grad_output * self._mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _check_no_reuse(modules) -> None:
    """ValueError if one module object sits at two places of the chain (nested ones included)."""
    position = {}
    for i, module in enumerate(modules):
        for sub in submodules(module):
            if id(sub) in position:
                raise ValueError(
                    f"Sequential got the same {type(sub).__name__} object at positions "
                    f"{position[id(sub)]} and {i}: a module keeps what ONE forward needs for "
                    "backward, so reusing it gives wrong gradients; create a new layer and, "
                    "to tie weights, share the Parameter (layer2.weight = layer1.weight)"
                )
            position[id(sub)] = i


class Sequential(Module):
    """Chain of modules: out = f_L(... f_2(f_1(x))), backward in reverse order.

    grad_input = f_1.backward(f_2.backward(... f_L.backward(grad_output))).
    Children are named "0", "1", ... as in torch.nn.Sequential, so parameter
    names ("0.weight") and state dicts match it. Indexable: model[0], model[:2].
    Unlike torch, one module object may not appear twice: it keeps only its last
    forward's input, so the first use would get wrong gradients. Share a
    Parameter instead (layer2.weight = layer1.weight).

    Shape:
        - x, grad_input: the first module's input; out, grad_output: the last one's output
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                kind = f"{type(module).__module__}.{type(module).__qualname__}"
                raise TypeError(f"Sequential expected course Modules, got {kind} at position {i}")
            setattr(self, str(i), module)
        if not modules:
            raise ValueError("Sequential expected at least one module, got none")
        _check_no_reuse(modules)
        self._layers = modules  # a tuple: fast to iterate, not registered twice

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self._layers:
            x = layer(x)  # through __call__: each layer records its own output
        return x

    def backward(self, grad_output: torch.Tensor, input_grad: bool = True):
        """Backward through every module, last first; returns grad_input.

        input_grad=False returns None instead and lets a first Linear (or
        Sequential) skip dX, which a training step never uses.
        """
        self._check_grad_output(grad_output, grad_output.shape)  # the shape is the last layer's
        *rest, first = reversed(self._layers)
        for layer in rest:
            grad_output = layer.backward(grad_output)
        if input_grad:
            return first.backward(grad_output)
        if isinstance(first, Linear | Sequential):
            return first.backward(grad_output, input_grad=False)
        first.backward(grad_output)
        return None

    def __getitem__(self, index: int | slice) -> Module:
        if isinstance(index, slice):  # as torch: a slice is a Sequential of those modules
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self):
        return iter(self._layers)
