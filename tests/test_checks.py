"""Tests for course_utils.checks: every diagnosis fires for its mistake, and only then."""

import sys

import pytest
import torch

from course_utils.checks import (
    call_exercise,
    check_close,
    check_done,
    count_torch_calls,
    diagnose,
    matches,
)

gen = torch.Generator().manual_seed(0)
E = torch.randn(4, 3, generator=gen, dtype=torch.float64)


def test_check_done_names_the_exercise_and_the_missing_value():
    check_done("1.2", answer=3)
    with pytest.raises(NotImplementedError, match=r"^Exercise 1.2 is not done yet: dW is still"):
        check_done("1.2", answer=3, dW=None)


def test_a_correct_answer_written_another_way_passes():
    check_close("E", (E * 3) / 3, E)
    check_close("sum", (E**2).sum(), torch.linalg.vector_norm(E) ** 2)


@pytest.mark.parametrize(("actual", "phrase"), [
    (-E, "wrong sign"),
    (2 * E, "twice"),
    (E / 2, "half"),
    (8 * E, "8 times the expected value: a missing division by N"),
    (E / 8, "1/8 of the expected value: divided by N once too often"),
    (3.7 * E, "3.7 times the expected value: a constant factor"),
    (torch.zeros_like(E), "all zeros"),
    (E + torch.eye(4, 3, dtype=torch.float64), r"relative error .* the worst at index \(0, 0\)"),
])
def test_the_diagnosis_names_the_mistake(actual, phrase):
    with pytest.raises(AssertionError, match=phrase) as info:
        check_close("dX", actual, E, factors={"N": 8})
    assert "Mismatched elements" in str(info.value)  # torch's own report kept
    assert str(info.value).startswith("dX ")


def test_a_transposed_square_matrix_is_named():
    S = torch.randn(3, 3, generator=gen, dtype=torch.float64)
    assert diagnose(S.T, S).startswith("is transposed")


@pytest.mark.parametrize(("actual", "phrase"), [
    ([1.0, 2.0], "should be a torch.Tensor, got list"),
    (E.T, r"shape \(4, 3\), got \(3, 4\) \(transposed\?\)"),
    (E[:, :2], r"shape \(4, 3\), got \(4, 2\)\."),
    (E.float(), "dtype torch.float64, got torch.float32"),
])
def test_type_shape_and_dtype_are_checked_first(actual, phrase):
    with pytest.raises(AssertionError, match=phrase):
        check_close("dW", actual, E, hint="Sum over the batch.")


def test_nan_is_reported():
    bad = E.clone()
    bad[1, 2] = float("nan")
    with pytest.raises(AssertionError, match="contains nan in 1 of 12 entries"):
        check_close("dW", bad, E)


def test_two_scalars_get_no_made_up_factor():
    assert "times" not in diagnose(torch.tensor(1.0), torch.tensor(2.5))
    assert "wrong sign" in diagnose(torch.tensor(-2.5), torch.tensor(2.5))


def test_the_count_of_entries_off_uses_the_comparison_tolerances():
    nudged = E + 3e-5 * (1 + E.abs())  # every entry off by more than float64's 1e-7
    with pytest.raises(AssertionError, match="12 of 12 entries off") as info:
        check_close("E", nudged, E)
    assert "Mismatched elements: 12 / 12" in str(info.value)


@pytest.mark.parametrize(("actual", "expected", "phrase"), [
    (torch.zeros(1, 4), torch.zeros(4), r"should have shape \(4,\), got \(1, 4\)\.$"),
    (torch.zeros(1, 1), torch.tensor(0.0), r"should have shape \(\), got \(1, 1\)\.$"),
    (torch.zeros(3), torch.zeros(3, 1), r"should have shape \(3, 1\), got \(3,\)\.$"),
])
def test_shapes_of_different_dimensions_are_reported_not_crashed_on(actual, expected, phrase):
    with pytest.raises(AssertionError, match=phrase):
        check_close("db", actual, expected)


def test_none_suggests_a_forgotten_return():
    with pytest.raises(AssertionError, match="dists is None: did a function forget its `return`"):
        check_close("dists", None, E)


def test_count_torch_calls_names_each_call_in_order():
    A, B = torch.randn(2, 3, generator=gen), torch.randn(3, 4, generator=gen)
    with count_torch_calls() as calls:
        (A.unsqueeze(-1) * B.unsqueeze(0)).sum(dim=1)  # the broadcast form of A @ B
    assert calls == ["unsqueeze", "unsqueeze", "mul", "sum"]
    with count_torch_calls() as calls:
        _ = A @ B, torch.einsum("nk,km->nm", A, B), A.shape, A[0], torch.cdist(A, A)
    assert calls == ["matmul", "einsum", "shape", "__getitem__", "cdist"]  # not cdist's insides


def test_a_python_loop_makes_calls_in_proportion_to_its_length():
    P, Q = torch.randn(50, 3, generator=gen), torch.randn(4, 3, generator=gen)
    with count_torch_calls() as broadcast:
        ((P[:, None, :] - Q[None, :, :]) ** 2).sum(dim=-1)
    with count_torch_calls() as loop:
        torch.stack([((p - Q) ** 2).sum(dim=1) for p in P])
    assert len(broadcast) == 5
    assert len(loop) > 3 * 50 and loop.count("sub") == 50


def test_count_torch_calls_stops_at_the_end_of_the_block_even_on_an_error():
    with pytest.raises(NotImplementedError), count_torch_calls() as calls:
        E.sum()
        raise NotImplementedError("Exercise 0.2 is not done yet")
    E.mean()
    assert calls == ["sum"]


def test_float32_rounding_in_a_float64_answer_is_named():
    rounded = E.float().double()
    with pytest.raises(AssertionError, match="float32-sized rounding"):
        check_close("dW", rounded, E, rtol=1e-12, atol=1e-12)


def test_a_negative_zero_prints_as_zero():
    expected = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert "yours 0, expected 3" in diagnose(torch.tensor([1.0, 2.0, -0.0], dtype=torch.float64),
                                             expected)


def test_call_exercise_returns_the_result_and_the_torch_calls():
    def double(x):
        return x * 2

    result, calls = call_exercise(double, E)
    assert torch.equal(result, 2 * E) and calls == ["mul"]


@pytest.mark.parametrize(("body", "phrase"), [
    (lambda x, g: x.mul_(2), "changed its argument x in place"),
    (lambda x, g: g.add_(1), r"changed its argument out\.g in place .*g = out\.g makes no copy"),
    (lambda x, g: torch.autograd.grad(x.sum(), x), "asked autograd for the gradient"),
    (lambda x, g: x.grad, "used autograd"),
])
def test_call_exercise_names_in_place_changes_and_autograd(body, phrase):
    def grad_fn(x, g):
        return body(x, g)

    x, g = E.clone().requires_grad_(False), E.clone()
    with pytest.raises(AssertionError, match=phrase):
        call_exercise(grad_fn, x, g, keeps={"out.g": g})


def test_call_exercise_lets_an_unfinished_stub_speak():
    def stub(x):
        raise NotImplementedError("Exercise 9.9 is not done yet: write it")

    with pytest.raises(NotImplementedError, match="^Exercise 9.9 is not done yet"):
        call_exercise(stub, E)


def test_matches_compares_to_rounding_and_shape():
    assert matches(E * 3 / 3, E) and not matches(E.T, E) and not matches([1.0], E)


def test_check_close_passes_exactly_when_assert_close_does():
    gen = torch.Generator().manual_seed(0)
    for dtype, rtol, atol in [(torch.float64, None, None), (torch.float32, None, None),
                              (torch.float64, 1e-3, 0.0), (torch.int64, None, None)]:
        expected = (torch.randn(200, generator=gen, dtype=torch.float64) * 10).to(dtype)
        for scale in (0.0, 1e-8, 1e-6, 1e-4, 1e-2):
            noise = torch.randn(200, generator=gen, dtype=torch.float64) * scale
            actual = (expected.double() * (1 + noise)).to(dtype)
            try:
                torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol)
                reference = True
            except AssertionError:
                reference = False
            try:
                check_close("x", actual, expected, rtol=rtol, atol=atol)
                ours = True
            except AssertionError:
                ours = False
            assert ours == reference, (dtype, rtol, atol, scale)


def _sgd_via_functional(p, g):
    from torch.optim.sgd import sgd  # a submodule imported inside: no "optim" among the names read
    p = p.clone()
    sgd([p], [g], [None], weight_decay=0.0, momentum=0.0, lr=0.1, dampening=0.0, nesterov=False,
        maximize=False)
    return p


def _sgd_via_optimizer(p, g):
    leaf = p.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([leaf], lr=0.1)
    leaf.grad = g.clone()
    optimizer.step()
    return leaf.detach()


@pytest.mark.parametrize("cheat", [_sgd_via_functional, _sgd_via_optimizer])
def test_call_exercise_refuses_the_module_the_exercise_rewrites(cheat):
    previous = sys.getprofile()
    refused = rf"{cheat.__name__} calls torch\.optim \(torch\.optim\.\w+\."
    with pytest.raises(AssertionError, match=refused):
        call_exercise(cheat, E, E, refuse="torch.optim")
    assert sys.getprofile() is previous  # the watch is removed, also after a refusal
    result, _ = call_exercise(lambda p, g: p - 0.1 * g, E, E, refuse="torch.optim")
    assert torch.equal(result, E - 0.1 * E) and sys.getprofile() is previous
    if cheat is _sgd_via_functional:  # it runs without refuse (an optimizer: "used autograd")
        assert torch.allclose(call_exercise(cheat, E, E)[0], E - 0.1 * E)
