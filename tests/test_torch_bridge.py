"""Tests of course_utils.torch_bridge: the engine's model in torch.nn and back."""

import pytest
import torch
from torch import nn

from course_utils import layers
from course_utils.torch_bridge import ReQU, from_torch, to_torch


def engine_model(dtype=torch.float64):
    torch.manual_seed(0)
    return layers.Sequential(layers.Linear(4, 6), layers.ReQU(), layers.Linear(6, 5),
                             layers.Tanh(), layers.Dropout(0.3), layers.BatchNorm1d(5),
                             layers.Sigmoid(), layers.Sequential(layers.Linear(5, 3, bias=False),
                                                                 layers.ReLU()),
                             layers.LogSoftmax(dim=1)).to(dtype)


def test_to_torch_same_layers_weights_and_outputs():
    model = engine_model().eval()
    torch_model = to_torch(model)
    assert [type(m).__name__ for m in torch_model] == [
        "Linear", "ReQU", "Linear", "Tanh", "Dropout", "BatchNorm1d", "Sigmoid", "Sequential",
        "LogSoftmax"]
    assert not torch_model.training and torch_model[4].p == 0.3
    assert torch_model[7][0].bias is None
    state, torch_state = model.state_dict(), torch_model.state_dict()
    assert list(state) == list(torch_state)
    for name, value in state.items():
        assert torch.equal(value, torch_state[name]), name
        assert value.dtype == torch_state[name].dtype
    X = torch.randn(7, 4, dtype=torch.float64)
    with torch.no_grad():
        assert (torch_model(X) - model(X)).abs().max() < 1e-12  # no assert_close: ~1 s first call


def test_copies_share_no_memory():
    model = engine_model()
    torch_model = to_torch(model)
    model[0].weight.data += 1.0
    assert not torch.equal(torch_model[0].weight.detach(), model[0].weight.data)
    back = from_torch(torch_model)
    with torch.no_grad():
        torch_model[0].bias += 1.0
    assert not torch.equal(back[0].bias.data, torch_model[0].bias.detach())


def test_round_trip_is_the_identity_and_keeps_mode_and_dtype():
    model = engine_model(torch.float32)
    back = from_torch(to_torch(model))
    assert back.training and type(back[1]) is layers.ReQU and type(back[7]) is layers.Sequential
    for (name, value), (name_back, value_back) in zip(model.state_dict().items(),
                                                      back.state_dict().items(), strict=True):
        assert name == name_back and torch.equal(value, value_back)
        assert value.dtype == value_back.dtype


def test_from_torch_gradients_equal_autograd():
    torch_model = nn.Sequential(nn.Linear(3, 4), ReQU(), nn.Linear(4, 2)).double()
    model = from_torch(torch_model)
    X = torch.randn(5, 3, dtype=torch.float64)
    out = model(X)
    model.backward(torch.ones_like(out))
    torch_model(X).sum().backward()
    for (name, p), (_, q) in zip(model.named_parameters(), torch_model.named_parameters(),
                                 strict=True):
        assert (p.grad - q.grad).abs().max() < 1e-12, name


def test_requ_module_is_relu_squared():
    x = torch.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    out = ReQU()(x)
    out.sum().backward()
    assert out.tolist() == [0.0, 0.0, 9.0] and x.grad.tolist() == [0.0, 0.0, 6.0]


def test_bad_inputs_are_refused_with_clear_messages():
    with pytest.raises(TypeError, match="to_torch expected a course_utils.layers.Sequential, "
                                        "got torch.nn.Linear"):
        to_torch(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="from_torch expected a torch.nn.Sequential, "
                                        "got course_utils.layers.Sequential"):
        from_torch(layers.Sequential(layers.Linear(2, 2)))
    with pytest.raises(TypeError, match="no torch.nn equivalent for .*Identity at position 1"):
        to_torch(layers.Sequential(layers.Linear(2, 2), Identity()))
    with pytest.raises(TypeError, match="no course_utils layer for torch.nn.GELU .* at position 1"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.GELU()))
    with pytest.raises(TypeError, match="Dropout \\(not inplace\\)"):
        from_torch(nn.Sequential(nn.Dropout(0.5, inplace=True)))


class Identity(layers.Module):
    def forward(self, x):
        return x


def test_mixed_dtypes_are_refused_not_converted():
    model = layers.Sequential(layers.Linear(2, 3), layers.Linear(3, 1))
    model[1].weight.data = model[1].weight.data.double()
    with pytest.raises(TypeError, match="to_torch: the parameters have different dtypes "
                                        "\\(0.weight torch.float32, 1.weight torch.float64\\)"):
        to_torch(model)
    torch_model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    torch_model[0].bias.data = torch_model[0].bias.data.half()
    with pytest.raises(TypeError, match="from_torch: the parameters have different dtypes .*call "
                                        "model.to\\(dtype\\) first"):
        from_torch(torch_model)
