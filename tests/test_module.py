"""Tests for course_utils.module: Parameter, registration, modes, dtype, state dicts."""

import copy

import numpy as np
import pytest
import torch

from course_utils.layers import (
    Dropout,
    Linear,
    LogSoftmax,
    Module,
    Parameter,
    ReLU,
    ReQU,
    Sequential,
    Sigmoid,
    Tanh,
)
from course_utils.losses import CrossEntropyLoss


class TwoLayer(Module):
    """A model written like a torch.nn.Module: parts registered by attribute assignment."""

    def __init__(self):
        super().__init__()
        self.fc1 = Linear(4, 5)
        self.act = Tanh()
        self.fc2 = Linear(5, 3)
        self.scale = Parameter(torch.ones(3))

    def forward(self, X):
        return self.fc2(self.act(self.fc1(X))) * self.scale.data


def small_model():
    return Sequential(Linear(4, 16), ReLU(), Linear(16, 3))


def torch_small_model():
    return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def test_parameter_holds_data_and_a_zero_grad():
    data = torch.randn(3, 2)
    p = Parameter(data)
    assert torch.equal(p.data, data) and p.shape == (3, 2)
    assert p.grad.shape == (3, 2) and not p.grad.any()
    assert repr(p) == "Parameter(shape=(3, 2), dtype=torch.float32)"


@pytest.mark.parametrize("data, got", [(torch.tensor([1, 2]), "torch.int64"), ([1.0], "list")])
def test_parameter_rejects_non_float_data(data, got):
    with pytest.raises(TypeError, match=f"Parameter expected a floating-point tensor, got {got}"):
        Parameter(data)


def test_named_parameters_follow_torch_names_and_order():
    names = [name for name, _ in small_model().named_parameters()]
    assert names == list(torch_small_model().state_dict())
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in TwoLayer().named_parameters()] == [
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "scale"]
    nested = Sequential(Sequential(Linear(2, 2), ReLU()), Linear(2, 1, bias=False))
    assert [n for n, _ in nested.named_parameters()] == ["0.0.weight", "0.0.bias", "1.weight"]


def tied_model():
    """Linear(3, 3) -> Tanh -> Linear(3, 3) whose two weights are ONE Parameter."""
    first, second = Linear(3, 3), Linear(3, 3)
    second.weight = first.weight
    return Sequential(first, Tanh(), second)


def test_parameters_are_the_layers_own_objects_and_shared_ones_count_once():
    model = small_model()
    assert model.parameters()[0] is model[0].weight
    assert [n for n, _ in tied_model().named_parameters()] == ["0.weight", "0.bias", "2.bias"]
    names = [n for n, _ in tied_model().named_parameters(remove_duplicate=False)]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_tied_weights_get_torchs_gradient_and_state_dict():
    torch.manual_seed(9)
    ours = tied_model().to(torch.float64)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh(),
                                    torch.nn.Linear(3, 3)).double()
    reference[2].weight = reference[0].weight
    assert list(ours.state_dict()) == list(reference.state_dict())  # torch lists both names
    ours.load_state_dict(reference.state_dict())
    X, grad_output = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    X_ref = X.clone().requires_grad_(True)
    reference(X_ref).backward(grad_output)
    ours(X)
    torch.testing.assert_close(ours.backward(grad_output), X_ref.grad)
    torch.testing.assert_close(ours[0].weight.grad, reference[0].weight.grad)  # both uses summed
    reference.load_state_dict(ours.state_dict())


@pytest.mark.parametrize("make", [
    lambda layer, act: Sequential(layer, act, layer),
    lambda layer, act: Sequential(layer, act, Linear(3, 3), act),
    lambda layer, act: Sequential(Sequential(layer, act), Sequential(Linear(3, 3), act)),
])
def test_sequential_refuses_a_module_object_used_twice(make):
    # reusing it would overwrite what the first use saved: silently wrong gradients
    with pytest.raises(ValueError, match=r"Sequential got the same (Linear|ReLU) object at "
                                         r"positions \d and \d: .*share the Parameter"):
        make(Linear(3, 3), ReLU())


def test_load_state_dict_rejects_a_non_dict():
    with pytest.raises(TypeError, match=r"load_state_dict expected a dict name -> tensor, "
                                        r"got Sequential"):
        small_model().load_state_dict(small_model())


def test_zero_grad_clears_every_gradient():
    model = TwoLayer()
    for p in model.parameters():
        p.grad += 1.0
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


def test_train_and_eval_reach_every_submodule():
    model = Sequential(Linear(2, 2), Sequential(Dropout(0.5), ReLU()))
    assert model.eval() is model
    assert [m.training for m in (model, model[1], model[1][0])] == [False] * 3
    model.train()
    assert [m.training for m in (model, model[1], model[1][0])] == [True] * 3


@pytest.mark.parametrize("call", [lambda m: m.to(dtype=torch.float64),
                                  lambda m: m.to(torch.float64),
                                  lambda m: m.to("cpu", torch.float64)])
def test_to_changes_the_dtype_of_data_and_grad(call):
    torch.manual_seed(0)
    model = TwoLayer()
    before = model.fc1.weight.data.clone()
    assert call(model) is model
    for p in model.parameters():
        assert p.data.dtype == torch.float64 and p.grad.dtype == torch.float64
    assert torch.equal(model.fc1.weight.data, before.double())
    assert model(torch.randn(2, 4, dtype=torch.float64)).dtype == torch.float64


def test_to_rejects_a_non_float_dtype():
    with pytest.raises(TypeError, match=r"Linear.to expected a floating dtype, got torch.int64"):
        Linear(2, 2).to(dtype=torch.int64)


def test_repr_matches_torch():
    ours = Sequential(Linear(4, 16), Sigmoid(), Linear(16, 3, bias=False), LogSoftmax(dim=1))
    reference = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Sigmoid(),
                                    torch.nn.Linear(16, 3, bias=False), torch.nn.LogSoftmax(dim=1))
    assert repr(ours) == repr(reference)


def test_state_dict_round_trip_through_torch():
    torch.manual_seed(1)
    ours, reference = small_model(), torch_small_model()
    X = torch.randn(10, 4)
    assert not torch.equal(ours(X), reference(X))  # different weights to begin with
    reference.load_state_dict(ours.state_dict())
    assert torch.equal(ours(X), reference(X))
    again = small_model()
    again.load_state_dict(reference.state_dict())
    assert torch.equal(again(X), ours(X))


def test_state_dict_shares_memory_and_load_copies():
    model = small_model()
    sd = model.state_dict()
    assert sd["0.weight"] is model[0].weight.data  # as torch: a live view, not a snapshot
    snapshot = {k: v.clone() + 1 for k, v in sd.items()}
    model.load_state_dict(snapshot)
    assert torch.equal(model[0].weight.data, snapshot["0.weight"])
    snapshot["0.weight"] += 1
    assert not torch.equal(model[0].weight.data, snapshot["0.weight"])


def test_a_deep_copy_is_independent():
    model = small_model()
    clone = copy.deepcopy(model)
    clone[0].weight.data += 1
    assert not torch.equal(clone[0].weight.data, model[0].weight.data)


def _edited(change):
    sd = {k: v.clone() for k, v in small_model().state_dict().items()}
    change(sd)
    return sd


@pytest.mark.parametrize("change, message", [
    (lambda sd: sd.pop("2.bias"), r"missing keys \['2.bias'\]"),
    (lambda sd: sd.update(extra=torch.zeros(1)), r"unexpected keys \['extra'\]"),
    (lambda sd: sd.update({"0.weight": torch.zeros(4, 16)}),
     r"'0.weight' expected shape \(16, 4\), got \(4, 16\)"),
    (lambda sd: sd.update({"0.bias": [0.0] * 16}), r"'0.bias' expected a tensor, got list"),
    (lambda sd: sd["2.weight"].__setitem__((0, 0), float("nan")),
     r"'2.weight' expected finite values, got nan or inf"),
])
def test_load_state_dict_is_strict_and_says_why(change, message):
    model = small_model()
    before = [p.data.clone() for p in model.parameters()]
    with pytest.raises(RuntimeError, match=r"Sequential.load_state_dict: .*" + message):
        model.load_state_dict(_edited(change))
    assert all(torch.equal(p.data, b) for p, b in zip(model.parameters(), before, strict=True))


def test_a_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match=r"Module must implement forward"):
        Module()(torch.ones(1))


# --- issue 8: no silent wrong answers -------------------------------------------------------

def test_train_refuses_a_non_bool_mode():
    model = Sequential(Linear(2, 2), Dropout(0.5))
    # "False" is a non-empty string, so bool("False") is True: training silently stayed on
    with pytest.raises(TypeError, match=r"Sequential.train expected mode True or False, "
                                        r"got 'False' \(str\)"):
        model.train("False")
    assert model.train(False) is model and not model[1].training


@pytest.mark.parametrize("value", [torch.zeros(3, 2), [[0.0, 0.0]] * 3, Linear(2, 3)])
def test_assigning_a_non_parameter_to_a_parameter_attribute_raises(value):
    # a plain tensor would drop out of parameters() and state_dict() while forward used it
    layer = Linear(2, 3)
    with pytest.raises(TypeError, match=r"cannot assign .* to Linear.weight, which is a "
                                        r"Parameter.*weight.data.copy_\(.*Parameter\("):
        layer.weight = value
    assert isinstance(layer.weight, Parameter) and len(layer.parameters()) == 2


def test_parameters_can_still_be_replaced_by_parameters_or_removed():
    first, second = Linear(3, 3), Linear(3, 3)
    second.weight = first.weight  # tying weights, as torch allows
    second.bias = None  # as torch: a layer without bias
    assert second.parameters() == [first.weight]
    assert second(torch.ones(1, 3)).shape == (1, 3)


@pytest.mark.parametrize("make, args", [
    (lambda: Linear(2, 3), (np.ones((4, 2), dtype=np.float32),)),
    (lambda: ReLU(), ([1.0, -1.0],)),
    (lambda: Dropout(0.5), (np.ones(3),)),
    (lambda: Sequential(Linear(2, 3)), (np.ones((4, 2), dtype=np.float32),)),
])
def test_a_module_called_on_a_list_or_array_says_how_to_convert(make, args):
    module = make()
    hint = "torch.as_tensor" if isinstance(args[0], np.ndarray) else "torch.tensor"
    got = "numpy.ndarray" if isinstance(args[0], np.ndarray) else "list"
    with pytest.raises(TypeError, match=rf"{type(module).__name__} expected a torch.Tensor, "
                                        rf"got {got} \(use {hint}\)"):
        module(*args)


@pytest.mark.parametrize("make", [
    lambda: Linear(3, 2), ReLU, Sigmoid, Tanh, ReQU, LogSoftmax,
    lambda: Dropout(0.5), lambda: Sequential(Linear(3, 4), Dropout(0.3), Tanh(), Linear(4, 2)),
])
def test_a_forward_under_no_grad_keeps_what_backward_needs(make):
    # the trap: validation logits computed between model(X) and model.backward(...)
    torch.manual_seed(0)
    module = make().to(torch.float64) if make().parameters() else make()
    X, X_val = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    torch.manual_seed(1)
    out = module(X)
    grad_output = torch.randn(out.shape, dtype=torch.float64)
    expected = module.backward(grad_output)
    expected_grads = [p.grad.clone() for p in module.parameters()]
    module.zero_grad()
    torch.manual_seed(1)
    module(X)
    with torch.no_grad():
        module(X_val)  # same shapes: nothing but the contract can tell the two apart
    torch.testing.assert_close(module.backward(grad_output), expected, rtol=0, atol=0)
    for p, g in zip(module.parameters(), expected_grads, strict=True):
        torch.testing.assert_close(p.grad, g, rtol=0, atol=0)


def test_a_forward_under_no_grad_gives_torchs_gradient_of_the_output_passed():
    torch.manual_seed(0)
    ours = Sequential(Linear(4, 8), Dropout(0.5), ReLU(), Linear(8, 3)).to(torch.float64)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Dropout(0.5),
                                    torch.nn.ReLU(), torch.nn.Linear(8, 3)).double()
    reference.load_state_dict(ours.state_dict())
    X, X_val = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 4, dtype=torch.float64)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    for model, step in ((ours, "ours"), (reference, "torch")):
        torch.manual_seed(3)  # same seed, same dropout masks
        logits = model(X)
        with torch.no_grad():
            model(X_val)
        if step == "ours":
            loss_fn = CrossEntropyLoss()
            loss_fn(logits, y)
            with torch.no_grad():
                loss_fn(model(X_val), y)  # a validation loss keeps nothing either
            model.backward(loss_fn.backward())
        else:
            torch.nn.functional.cross_entropy(logits, y).backward()
    for (name, p), q in zip(ours.named_parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, msg=name)


@pytest.mark.parametrize("model", [Sequential(Linear(4, 3), Tanh()), Linear(4, 3)])
def test_backward_with_the_gradient_of_an_earlier_forward_raises(model):
    X, X_val, y = torch.randn(5, 4), torch.randn(5, 4), torch.tensor([0, 1, 2, 0, 1])
    loss_fn = CrossEntropyLoss()
    logits = model(X)
    model(X_val)  # recorded: the model now holds X_val's values
    loss_fn(logits, y)
    with pytest.raises(RuntimeError, match=rf"{type(model).__name__}.backward got the gradient "
                                           r"of an earlier output.*torch.no_grad\(\)"):
        model.backward(loss_fn.backward())
    loss_fn(model(X), y)
    model.backward(loss_fn.backward())  # a fresh forward and loss are fine


def test_backward_after_only_no_grad_forwards_explains_why_nothing_was_kept():
    model = Sequential(Linear(2, 2))
    with torch.no_grad():
        model(torch.ones(1, 2))
    with pytest.raises(RuntimeError, match=r"before Linear.forward.*torch.no_grad\(\) "
                                           r"keeps nothing"):
        model.backward(torch.ones(1, 2))


def test_a_wrapper_that_changes_the_output_may_pass_the_gradient_to_its_layer():
    # the loss's gradient belongs to the wrapper's output, not to the inner layer's: no alarm
    class Scaled(Module):
        def __init__(self):
            super().__init__()
            self.fc = Linear(4, 3)

        def forward(self, X):
            return self.fc(X).clone()  # a new tensor object, same values

        def backward(self, grad_output):
            return self.fc.backward(grad_output)

    model, loss_fn = Scaled(), CrossEntropyLoss()
    loss_fn(model(torch.randn(5, 4)), torch.tensor([0, 1, 2, 0, 1]))
    assert model.backward(loss_fn.backward()).shape == (5, 4)
