"""Tests for course_utils.repro.seed_everything."""

import random

import numpy as np
import pytest
import torch

from course_utils.repro import seed_everything


def _draws():
    numpy_draw = float(np.random.rand())  # noqa: NPY002 - the global generator is the point
    return random.random(), numpy_draw, torch.rand(3).tolist()


@pytest.fixture(autouse=True)
def _restore_torch_settings():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
    torch.set_printoptions(profile="default")
    np.set_printoptions(precision=8, suppress=False)


def test_same_seed_same_draws_in_every_library():
    seed_everything(7)
    first = _draws()
    seed_everything(7)
    assert _draws() == first
    seed_everything(8)
    assert _draws() != first


def test_threads_and_print_precision():
    seed_everything(0, num_threads=1)
    assert torch.get_num_threads() == 1
    assert str(torch.tensor([1 / 3])) == "tensor([0.3333])"
    assert np.array2string(np.array([1 / 3])) == "[0.3333]"


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="non-negative int seed"):
        seed_everything(seed)


def test_rejects_bad_thread_count():
    with pytest.raises(ValueError, match="num_threads >= 1, got 0"):
        seed_everything(0, num_threads=0)


def test_numpy_integers_are_valid_seeds():
    seed_everything(np.int64(3), num_threads=np.int32(1))
    first = torch.rand(2)
    seed_everything(3)
    assert torch.equal(torch.rand(2), first)
