"""Tests for course_utils.optim: hand-computed steps, then agreement with torch.optim."""

import copy
import inspect
import io

import numpy as np
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


# ---------------------------------------------------------------- issue 8: checkpoints

def feed(opt_pairs, grads):
    """Give each (params, optimizer) pair the same gradients and step it once."""
    for params, opt in opt_pairs:
        for p, g in zip(params, grads, strict=True):
            if isinstance(p, Parameter):
                p.grad.copy_(g)
            else:
                p.grad = g.clone()
        opt.step()


def saved_and_loaded(state_dict):
    """state_dict after torch.save and torch.load(weights_only=True), as a checkpoint does."""
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def same_values(a, b):
    """Equal nested dicts/lists whose tensors are bit-identical."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return torch.equal(torch.as_tensor(a), torch.as_tensor(b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_state_dict_has_torch_optims_structure_and_values(name, kwargs):
    ours = make_params()
    theirs = [torch.nn.Parameter(p.data.clone()) for p in ours]
    opt, ref = OURS[name](ours, **kwargs), TORCH[name](theirs, **kwargs)
    assert same_values(opt.state_dict(), ref.state_dict())  # before any step: empty state
    for grads in gradient_sequence(3, ours):
        feed([(ours, opt), (theirs, ref)], grads)
    assert same_values(opt.state_dict(), ref.state_dict())


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_a_resumed_run_is_bit_identical_to_an_uninterrupted_one_and_to_torch(name, kwargs):
    grads = gradient_sequence(60, make_params())
    straight = make_params()
    opt = OURS[name](straight, **kwargs)
    theirs = [torch.nn.Parameter(p.data.clone()) for p in make_params()]
    ref = TORCH[name](theirs, **kwargs)
    first = make_params()
    opt_first = OURS[name](first, **kwargs)
    for g in grads[:25]:
        feed([(straight, opt), (theirs, ref), (first, opt_first)], g)
    checkpoint = saved_and_loaded(opt_first.state_dict())
    resumed = [Parameter(p.data.clone()) for p in first]  # a fresh run: new objects
    opt_resumed = OURS[name](resumed, lr=123.0)  # hyper-parameters come from the checkpoint
    opt_resumed.load_state_dict(checkpoint)
    for g in grads[25:]:
        feed([(straight, opt), (theirs, ref), (resumed, opt_resumed)], g)
    for p, q, r in zip(straight, resumed, theirs, strict=True):
        assert torch.equal(p.data, q.data) and torch.equal(p.data, r.detach())


@pytest.mark.parametrize(("name", "kwargs"), CONFIGS)
def test_state_dicts_move_both_ways_between_ours_and_torch_optim(name, kwargs):
    grads = gradient_sequence(20, make_params())
    ours, theirs = make_params(), [torch.nn.Parameter(p.data.clone()) for p in make_params()]
    opt, ref = OURS[name](ours, **kwargs), TORCH[name](theirs, **kwargs)
    for g in grads[:10]:
        feed([(ours, opt), (theirs, ref)], g)
    ref.load_state_dict(saved_and_loaded(opt.state_dict()))  # ours -> torch
    opt.load_state_dict(saved_and_loaded(ref.state_dict()))  # torch -> ours
    for g in grads[10:]:
        feed([(ours, opt), (theirs, ref)], g)
    assert all(torch.equal(p.data, q.detach()) for p, q in zip(ours, theirs, strict=True))


def test_load_state_dict_copies_and_casts_the_buffers():
    params = make_params()
    opt = SGD(params, lr=0.1, momentum=0.9)
    feed([(params, opt)], gradient_sequence(1, params)[0])
    state_dict = opt.state_dict()
    other = SGD([Parameter(p.data.float()) for p in params], lr=0.1, momentum=0.9)
    other.load_state_dict(state_dict)
    buffer = other.state_dict()["state"][0]["momentum_buffer"]
    assert buffer.dtype == torch.float32  # the parameter's dtype, as torch
    state_dict["state"][0]["momentum_buffer"] += 1  # the checkpoint is not shared
    assert not torch.equal(buffer, state_dict["state"][0]["momentum_buffer"].float())


def _stepped(name="Adam", **kwargs):
    params = make_params()
    opt = OURS[name](params, **kwargs)
    feed([(params, opt)], gradient_sequence(1, params)[0])
    return opt


@pytest.mark.parametrize(("change", "error", "message"), [
    (lambda sd: sd["param_groups"][0].update(amsgrad=True), ValueError,
     r"amsgrad=True: 'amsgrad' is a torch.optim.Adam option that is not part of the course's "
     r"Adam"),
    (lambda sd: sd["param_groups"][0].update(maximize=True), ValueError, r"'maximize' is a "
     r"torch.optim.Adam option"),
    (lambda sd: sd["param_groups"][0]["params"].pop(), ValueError,
     r"has 1 parameters, this Adam has 2"),
    (lambda sd: sd["param_groups"].append({}), ValueError, r"expected one parameter group, got 2"),
    (lambda sd: sd["param_groups"][0].pop("lr"), ValueError, r"missing 'lr'"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), ValueError, r"Adam expected lr >= 0"),
    (lambda sd: sd["param_groups"][0].update(momentum=0.9), ValueError,
     r"unexpected setting 'momentum'"),
    (lambda sd: sd["state"][0].update(exp_avg=torch.zeros(4, 3, dtype=torch.float64)),
     ValueError, r"state of parameter 0: 'exp_avg' expected shape \(3, 4\), got \(4, 3\)"),
    (lambda sd: sd["state"][1].pop("exp_avg_sq"), ValueError,
     r"state of parameter 1: expected keys \['exp_avg', 'exp_avg_sq', 'step'\]"),
    (lambda sd: sd.pop("state"), ValueError, r"expected a dict with 'state' and 'param_groups'"),
])
def test_load_state_dict_is_strict_says_why_and_changes_nothing_on_error(change, error, message):
    opt = _stepped(lr=0.01)
    before = copy.deepcopy(opt.state_dict())
    bad = copy.deepcopy(opt.state_dict())
    change(bad)
    with pytest.raises(error, match=message):
        opt.load_state_dict(bad)
    assert same_values(opt.state_dict(), before)


def test_load_state_dict_refuses_a_non_dict():
    with pytest.raises(TypeError, match=r"Adam.load_state_dict expected the dict of "
                                        r"optimizer.state_dict\(\), got list"):
        _stepped().load_state_dict([])


def _torch_only_options():
    """(name, option, torch's default) for every torch.optim argument ours does not take."""
    for name in OURS:
        ours = inspect.signature(OURS[name]).parameters
        for option, param in inspect.signature(TORCH[name]).parameters.items():
            if option not in ours:
                yield name, option, param.default


@pytest.mark.parametrize(("name", "option", "default"), list(_torch_only_options()))
def test_torch_options_the_course_lacks_are_refused_by_name(name, option, default):
    value = not default if isinstance(default, bool) else 0.5
    with pytest.raises(TypeError, match=rf"{name} got {option}=.*: '{option}' is a "
                                        rf"torch.optim.{name} option that is not part of the "
                                        rf"course's {name}"):
        OURS[name](make_params(), lr=0.1, **{option: value})


def test_the_refused_options_include_the_ones_students_meet():
    refused = {(name, option) for name, option, _ in _torch_only_options()}
    assert {("Adam", "amsgrad"), ("SGD", "dampening"), ("Adam", "maximize"),
            ("SGD", "foreach"), ("RMSprop", "centered")} <= refused


def test_an_unknown_keyword_is_a_plain_type_error():
    with pytest.raises(TypeError, match=r"SGD got an unexpected keyword argument 'momentun'"):
        SGD(make_params(), lr=0.1, momentun=0.9)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("SGD", {"lr": np.float64(0.1), "momentum": np.float32(0.5), "weight_decay": np.int64(0)}),
    ("RMSprop", {"lr": np.float32(0.01), "alpha": np.float64(0.9)}),
    ("Adam", {"lr": np.float64(1e-3), "betas": (np.float64(0.9), np.float32(0.999))}),
])
def test_numpy_numbers_are_valid_hyper_parameters(name, kwargs):
    opt = OURS[name](make_params(), **kwargs)
    opt.step()
    assert all(type(v) is float for k, v in opt.state_dict()["param_groups"][0].items()
               if k in kwargs and k != "betas")


def test_nesterov_must_be_a_bool():
    # torch's positional order has dampening before weight_decay: SGD(p, 0.1, 0.9, 0, 1e-4)
    # would read 1e-4 as nesterov
    with pytest.raises(TypeError, match=r"SGD expected nesterov True or False, got 0.0001"):
        SGD(make_params(), 0.1, 0.9, 0, 1e-4)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam"])
def test_a_grad_of_another_dtype_names_both(name):
    # Adam raised torch's raw addcmul error; SGD silently rounded the float64 grad
    p = Parameter(torch.zeros(2, 3))
    p.grad = torch.ones(2, 3, dtype=torch.float64)
    with pytest.raises(TypeError, match=rf"{name}: parameter 0 is torch.float32 but its grad is "
                                        r"torch.float64"):
        OURS[name]([p], lr=0.1).step()
