"""Tests for course_utils.normalization: hand case, finite differences, torch.nn, buffers."""

import copy

import pytest
import torch
from torch.testing import assert_close

from course_utils.gradcheck import check_module
from course_utils.layers import BatchNorm1d, Linear, ReLU, Sequential
from course_utils.losses import MSELoss


def with_random_affine(layer, seed=0):
    """layer with gamma far from 1 and beta far from 0: bugs that 1 and 0 hide show up."""
    g = torch.Generator().manual_seed(seed)
    C = layer.num_features
    layer.weight.data.copy_(1 + torch.rand(C, generator=g))
    layer.bias.data.copy_(torch.randn(C, generator=g))
    return layer


def torch_pair(C, dtype, seed=0, **options):
    """Our BatchNorm1d and torch's, with the same random gamma and beta, in dtype."""
    ours = with_random_affine(BatchNorm1d(C, **options), seed).to(dtype)
    reference = torch.nn.BatchNorm1d(C, dtype=dtype, **options)
    reference.load_state_dict(ours.state_dict())
    return ours, reference


def test_hand_case():
    layer = BatchNorm1d(1, eps=1e-12).to(torch.float64)
    X = torch.tensor([[1.0], [3.0]], dtype=torch.float64)
    out = layer(X)  # mean 2, biased var 1: X_hat = -1, +1
    assert_close(out, torch.tensor([[-1.0], [1.0]], dtype=torch.float64))
    assert_close(layer.running_mean, torch.tensor([0.2], dtype=torch.float64))  # 0.9 * 0 + 0.1 * 2
    # unbiased var 2: 0.9 * 1 + 0.1 * 2
    assert_close(layer.running_var, torch.tensor([1.1], dtype=torch.float64))
    assert layer.num_batches_tracked.item() == 1
    dX = layer.backward(torch.tensor([[1.0], [0.0]], dtype=torch.float64))
    # g - mean g = (1/2, -1/2); mean(g X_hat) = -1/2; X_hat * that = (1/2, -1/2): dX = 0
    assert_close(dX, torch.zeros(2, 1, dtype=torch.float64))
    assert_close(layer.weight.grad, torch.tensor([-1.0], dtype=torch.float64))  # sum g X_hat
    assert layer.bias.grad.tolist() == [1.0]  # sum g


@pytest.mark.parametrize("training", [True, False])
def test_finite_differences(training):
    torch.manual_seed(0)
    layer = with_random_affine(BatchNorm1d(3))
    layer.running_mean.copy_(torch.randn(3))
    layer.running_var.copy_(torch.rand(3) + 0.5)
    layer.train(training)
    errors = check_module(layer, torch.randn(5, 3, dtype=torch.float64))
    assert list(errors) == ["input", "weight", "bias"]
    assert max(errors.values()) < 1e-7


def test_finite_differences_inside_a_network():
    torch.manual_seed(1)
    # no bias before BatchNorm: subtracting the batch mean cancels it, its gradient is exactly
    # 0, and the relative error of two zeros-plus-noise is meaningless
    model = Sequential(Linear(4, 3, bias=False), with_random_affine(BatchNorm1d(3)), ReLU(),
                       Linear(3, 2))
    assert max(check_module(model, torch.randn(6, 4)).values()) < 1e-7


def test_a_bias_before_batchnorm_gets_no_gradient():
    torch.manual_seed(2)
    model = Sequential(Linear(4, 3), with_random_affine(BatchNorm1d(3)))
    X = torch.randn(6, 4)
    model(X)
    model.backward(torch.randn(6, 3))
    assert model[0].bias.grad.abs().max() < 1e-6 * model[0].weight.grad.abs().max()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("N, C", [(2, 1), (8, 3), (64, 16)])
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_matches_torch_in_training(N, C, momentum, dtype):
    ours, reference = torch_pair(C, dtype, momentum=momentum)
    g = torch.Generator().manual_seed(N)
    for step in range(3):  # running statistics over several batches
        X = 2 + 3 * torch.randn(N, C, generator=g, dtype=dtype)
        grad_output = torch.randn(N, C, generator=g, dtype=dtype)
        X_ref = X.clone().requires_grad_()
        out_ref = reference(X_ref)
        out_ref.backward(grad_output)
        assert_close(ours(X), out_ref.detach())
        assert_close(ours.backward(grad_output), X_ref.grad)
        assert_close(ours.weight.grad, reference.weight.grad)
        assert_close(ours.bias.grad, reference.bias.grad)
        for name, buffer in reference.named_buffers():
            assert_close(getattr(ours, name), buffer, msg=f"{name} after {step + 1} batches")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_torch_in_eval(dtype):
    ours, reference = torch_pair(4, dtype)
    g = torch.Generator().manual_seed(3)
    for _ in range(2):
        X = torch.randn(6, 4, generator=g, dtype=dtype)
        ours(X), reference(X)
    ours.eval(), reference.eval()
    X = torch.randn(1, 4, generator=g, dtype=dtype)  # N == 1 is fine in eval mode
    grad_output = torch.randn(1, 4, generator=g, dtype=dtype)
    X_ref = X.clone().requires_grad_()
    out_ref = reference(X_ref)
    out_ref.backward(grad_output)
    before = {name: t.clone() for name, t in ours.named_buffers()}
    assert_close(ours(X), out_ref.detach())
    assert_close(ours.backward(grad_output), X_ref.grad)
    assert_close(ours.weight.grad, reference.weight.grad)
    assert_close(ours.bias.grad, reference.bias.grad)
    for name, t in ours.named_buffers():
        assert torch.equal(t, before[name]), f"eval mode changed {name}"


def test_state_dict_keys_and_values_load_both_ways():
    ours = Sequential(Linear(2, 3), BatchNorm1d(3), ReLU(), Linear(3, 1))
    reference = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3),
                                    torch.nn.ReLU(), torch.nn.Linear(3, 1))
    assert list(ours.state_dict()) == list(reference.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in reference.named_buffers()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in reference.named_parameters()]
    X = torch.randn(5, 2)
    reference(X)  # running statistics that are not the initial ones
    ours.load_state_dict(reference.state_dict())
    for name, t in reference.state_dict().items():
        assert torch.equal(ours.state_dict()[name], t), name
        assert ours.state_dict()[name].dtype == t.dtype, name
    ours(X)
    again = copy.deepcopy(reference)
    again.load_state_dict(ours.state_dict())  # and back: torch takes our buffers
    for name, t in ours.state_dict().items():
        assert torch.equal(again.state_dict()[name], t), name
    ours.eval(), again.eval()
    assert_close(ours(X), again(X).detach())  # torch's kernel groups the float32 operations
    # differently: equal to rounding, not bit for bit


def test_buffers_are_not_parameters_and_follow_to():
    layer = BatchNorm1d(3)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in layer.named_buffers()] == [
        "running_mean", "running_var", "num_batches_tracked"]
    layer.to(torch.float64)
    assert layer.running_mean.dtype == layer.running_var.dtype == torch.float64
    assert layer.num_batches_tracked.dtype == torch.int64  # a count stays an integer
    sd = layer.state_dict()
    layer(torch.randn(4, 3, dtype=torch.float64))
    assert torch.equal(sd["running_mean"], layer.running_mean)  # shared memory, as torch


def test_load_state_dict_names_a_missing_buffer():
    sd = torch.nn.BatchNorm1d(3).state_dict()
    del sd["running_var"]
    with pytest.raises(RuntimeError, match=r"missing keys \['running_var'\]"):
        BatchNorm1d(3).load_state_dict(sd)


def test_one_sample_refused_in_training_as_torch():
    X = torch.randn(1, 3)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        torch.nn.BatchNorm1d(3)(X)
    layer = BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, "
                                         r"got input size torch.Size\(\[1, 3\]\)"):
        layer(X)
    assert layer.num_batches_tracked.item() == 0  # nothing updated by the refused call


@pytest.mark.parametrize("bad, error, message", [
    (torch.randn(4, 2), ValueError, r"expected input of shape \(N, 3\), got \(4, 2\)"),
    (torch.randn(4, 3, 2), ValueError, r"expected input of shape \(N, 3\), got \(4, 3, 2\)"),
    (torch.randn(4, 3, dtype=torch.float64), TypeError, "expected torch.float32 input"),
])
def test_bad_inputs(bad, error, message):
    with pytest.raises(error, match=message):
        BatchNorm1d(3)(bad)


@pytest.mark.parametrize("kwargs, message", [
    ({"num_features": 0}, "num_features expected a positive int"),
    ({"num_features": 3, "eps": 0.0}, "eps > 0"),
    ({"num_features": 3, "momentum": 1.5}, r"momentum in \[0, 1\]"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BatchNorm1d(**kwargs)


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="BatchNorm1d.backward called before"):
        BatchNorm1d(3).backward(torch.zeros(2, 3))


def test_no_grad_forward_keeps_backward_and_updates_running_stats_as_torch():
    g = torch.Generator().manual_seed(4)
    ours, reference = torch_pair(3, torch.float64)
    X = torch.randn(5, 3, generator=g, dtype=torch.float64)
    X_val = torch.randn(7, 3, generator=g, dtype=torch.float64)
    grad_output = torch.randn(5, 3, generator=g, dtype=torch.float64)
    X_ref = X.clone().requires_grad_()
    out_ref = reference(X_ref)
    ours(X)
    with torch.no_grad():  # training mode: torch updates the running statistics here too
        reference(X_val), ours(X_val)
    out_ref.backward(grad_output)
    assert_close(ours.backward(grad_output), X_ref.grad)  # still the gradient at X
    for name, buffer in reference.named_buffers():
        assert_close(getattr(ours, name), buffer)
    assert ours.num_batches_tracked.item() == 2


def test_backward_refuses_the_gradient_of_an_earlier_output():
    model = Sequential(Linear(3, 3), BatchNorm1d(3))
    loss_fn = MSELoss()
    X, y = torch.randn(4, 3), torch.randn(4, 3)
    loss_fn(model(X), y)
    model(torch.randn(4, 3))  # validation without torch.no_grad()
    with pytest.raises(RuntimeError, match="the gradient of an earlier output"):
        model.backward(loss_fn.backward())


def test_repr():
    assert repr(BatchNorm1d(4)) == "BatchNorm1d(4, eps=1e-05, momentum=0.1)"
