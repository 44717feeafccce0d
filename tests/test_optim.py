"""Tests for course_utils.optim: hand-computed steps, then agreement with torch.optim."""

import pytest
import torch

from course_utils.layers import Linear, Parameter, Sequential
from course_utils.optim import SGD, Adam, RMSprop

OURS = {"SGD": SGD, "RMSprop": RMSprop, "Adam": Adam}
TORCH = {"SGD": torch.optim.SGD, "RMSprop": torch.optim.RMSprop, "Adam": torch.optim.Adam}
CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.003, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
]


def make_params():
    """Two float64 parameters, (3, 4) and (4,), with fixed random values."""
    gen = torch.Generator().manual_seed(1)
    return [Parameter(torch.randn(3, 4, generator=gen, dtype=torch.float64)),
            Parameter(torch.randn(4, generator=gen, dtype=torch.float64))]


def gradient_sequence(steps, params):
    """steps lists of gradients shaped like params, of varying sizes and signs."""
    gen = torch.Generator().manual_seed(2)
    return [[torch.randn(p.shape, generator=gen, dtype=torch.float64) * (1 + t % 3)
             for p in params] for t in range(steps)]


def run_both(name, kwargs, steps=50, lr_after=None):
    """Apply the same gradients with ours and torch.optim; return both parameter lists."""
    ours = make_params()
    theirs = [torch.nn.Parameter(p.data.clone()) for p in ours]
    opt, ref = OURS[name](ours, **kwargs), TORCH[name](theirs, **kwargs)
    for t, grads in enumerate(gradient_sequence(steps, ours)):
        if lr_after is not None and t == steps // 2:
            opt.lr = ref.param_groups[0]["lr"] = lr_after
        for p, q, g in zip(ours, theirs, grads, strict=True):
            p.grad.copy_(g)
            q.grad = g.clone()
        opt.step()
        ref.step()
    return [p.data for p in ours], [q.detach() for q in theirs]


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_fifty_steps_match_torch_optim(name, kwargs):
    ours, theirs = run_both(name, kwargs)
    start = [p.data for p in make_params()]
    for p, q, p0 in zip(ours, theirs, start, strict=True):
        assert (p - p0).abs().max() > 1e-3, "the parameters should have moved"
        torch.testing.assert_close(p, q, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam"])
def test_changing_lr_mid_training_matches_torch(name):
    kwargs = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.01}
    ours, theirs = run_both(name, kwargs, steps=20, lr_after=0.002)
    for p, q in zip(ours, theirs, strict=True):
        torch.testing.assert_close(p, q, rtol=1e-10, atol=1e-10)


def test_lr_folded_into_velocity_differs_only_after_lr_changes():
    """cs231n's v = mu v - lr g; p += v equals torch's form until lr changes."""
    g, mu = torch.tensor([1.0, -2.0], dtype=torch.float64), 0.9
    p = Parameter(torch.zeros(2, dtype=torch.float64))
    opt = SGD([p], lr=0.1, momentum=mu)
    p_other, v_other = torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    for lr in [0.1, 0.1, 0.1]:
        p.grad.copy_(g)
        opt.step()
        v_other = mu * v_other - lr * g
        p_other = p_other + v_other
    torch.testing.assert_close(p.data, p_other, rtol=1e-12, atol=1e-12)
    opt.lr = 0.01
    p.grad.copy_(g)
    opt.step()
    p_other = p_other + mu * v_other - 0.01 * g
    assert (p.data - p_other).abs().min() > 0.1, "the two conventions should now differ"


def one_param(values=(1.0, -2.0)):
    p = Parameter(torch.tensor(values, dtype=torch.float64))
    p.grad.copy_(torch.tensor([0.5, 0.25], dtype=torch.float64))
    return p


@pytest.mark.parametrize(("kwargs", "after_one", "after_two"), [
    ({"lr": 0.1}, [0.95, -2.025], [0.9, -2.05]),
    # momentum: v = g, then v = 0.9 g + g = 1.9 g
    ({"lr": 0.1, "momentum": 0.9}, [0.95, -2.025], [0.855, -2.0725]),
    # Nesterov: step along g + 0.9 v = 1.9 g, then g + 0.9 (1.9 g) = 2.71 g
    ({"lr": 0.1, "momentum": 0.9, "nesterov": True}, [0.905, -2.0475], [0.7695, -2.11525]),
    # weight decay: g + 0.1 p = [0.6, 0.05], then [0.594, 0.0495]
    ({"lr": 0.1, "weight_decay": 0.1}, [0.94, -2.005], [0.8806, -2.00995]),
])
def test_sgd_hand_computed_steps(kwargs, after_one, after_two):
    p = one_param()
    opt = SGD([p], **kwargs)
    for expected in (after_one, after_two):
        opt.step()
        torch.testing.assert_close(p.data, torch.tensor(expected, dtype=torch.float64))


def test_rmsprop_first_step_is_ten_lr_per_coordinate():
    # s = 0.01 g^2, so sqrt(s) = 0.1 |g| and the step is lr g / (0.1 |g|) = 10 lr sign(g)
    p = one_param()
    RMSprop([p], lr=0.01, eps=0.0).step()
    torch.testing.assert_close(p.data, torch.tensor([0.9, -2.1], dtype=torch.float64))


def test_rmsprop_eps_is_added_outside_the_square_root():
    p = one_param()
    RMSprop([p], lr=0.01, eps=0.1).step()
    expected = [1.0 - 0.01 * 0.5 / (0.05 + 0.1), -2.0 - 0.01 * 0.25 / (0.025 + 0.1)]
    torch.testing.assert_close(p.data, torch.tensor(expected, dtype=torch.float64))


def test_adam_moves_lr_sign_g_per_step_for_a_constant_gradient():
    # bias correction makes m_hat = g and v_hat = g^2 exactly, at every step
    p = one_param()
    opt = Adam([p], lr=0.1, eps=0.0)
    for expected in ([0.9, -2.1], [0.8, -2.2], [0.7, -2.3]):
        opt.step()
        torch.testing.assert_close(p.data, torch.tensor(expected, dtype=torch.float64))


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam"])
def test_zero_grad_zeroes_in_place_and_step_leaves_grad_alone(name):
    params = make_params()
    opt = OURS[name](params, lr=0.1, weight_decay=0.5)
    grads = [torch.full(p.shape, 3.0, dtype=torch.float64) for p in params]
    for p, g in zip(params, grads, strict=True):
        p.grad.copy_(g)
    opt.step()
    held = [p.grad for p in params]
    for p, g in zip(params, grads, strict=True):
        assert torch.equal(p.grad, g), "step must not change p.grad (weight decay included)"
    opt.zero_grad()
    for p, h in zip(params, held, strict=True):
        assert p.grad is h and torch.count_nonzero(p.grad) == 0


def test_params_from_a_generator_are_kept_for_every_step():
    params = make_params()
    opt = SGD((p for p in params), lr=1.0)
    for _ in range(2):
        for p in params:
            p.grad.fill_(1.0)
        opt.step()
    torch.testing.assert_close(params[1].data, make_params()[1].data - 2.0)


def test_torch_leaf_tensor_is_updated_like_torch_optim():
    w = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    (w**2).sum().backward()  # grad = 2 w
    SGD([w], lr=0.25).step()
    assert w.requires_grad
    torch.testing.assert_close(w.detach(), torch.tensor([0.5, -1.0], dtype=torch.float64))


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("SGD", {"lr": -0.1}, "SGD expected lr >= 0, got -0.1"),
    ("SGD", {"lr": float("nan")}, "SGD expected lr >= 0, got nan"),
    ("SGD", {"lr": 0.1, "momentum": -0.5}, "SGD expected momentum >= 0, got -0.5"),
    ("SGD", {"lr": 0.1, "weight_decay": -1}, "SGD expected weight_decay >= 0, got -1"),
    ("SGD", {"lr": 0.1, "nesterov": True}, "nesterov=True expected momentum > 0, got 0"),
    ("RMSprop", {"alpha": 1.5}, r"RMSprop expected alpha in \[0, 1\], got 1.5"),
    ("RMSprop", {"eps": -1e-8}, "RMSprop expected eps >= 0, got -1e-08"),
    ("Adam", {"betas": (1.0, 0.999)}, r"Adam expected betas\[0\] in \[0, 1\), got 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, r"Adam expected betas\[1\] in \[0, 1\), got -0.1"),
    ("Adam", {"betas": 0.9}, r"Adam expected betas as a pair \(beta1, beta2\), got 0.9"),
    ("Adam", {"lr": -1e-3}, "Adam expected lr >= 0, got -0.001"),
])
def test_bad_hyper_parameters_raise_value_error(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        OURS[name](make_params(), **kwargs)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam"])
def test_empty_parameter_list_raises(name):
    with pytest.raises(ValueError, match=f"{name} got an empty parameter list"):
        OURS[name](iter([]), lr=0.1)


def test_non_parameters_and_non_numbers_raise_type_error():
    with pytest.raises(TypeError, match="SGD expected parameters with .data and .grad "
                                        "tensors, got float at position 1"):
        SGD([make_params()[0], 3.0], lr=0.1)
    with pytest.raises(TypeError, match=r"got Linear at position 0: pass model\.parameters\(\)"):
        SGD(Sequential(Linear(2, 2)), lr=0.1)  # a Sequential iterates over its layers
    with pytest.raises(TypeError, match="got a single tensor"):
        SGD(torch.zeros(3), lr=0.1)
    with pytest.raises(TypeError, match="Adam expected a number for lr, got '0.1'"):
        Adam(make_params(), lr="0.1")


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam"])
def test_a_parameter_listed_twice_is_refused(name):
    # it would be stepped twice per step(); torch.optim only warns
    p = make_params()[0]
    with pytest.raises(ValueError, match=f"{name} got the same parameter more than once"):
        OURS[name]([p, make_params()[1], p], lr=0.1)


def test_grad_of_the_wrong_shape_is_reported():
    p = Parameter(torch.zeros(2, 3))
    p.grad = torch.zeros(3, 2)
    with pytest.raises(ValueError, match=r"parameter 0 has shape \(2, 3\) but its grad has "
                                         r"shape \(3, 2\)"):
        SGD([p], lr=0.1).step()
