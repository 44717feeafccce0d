"""Reproducibility: one call that makes a notebook or test run the same every time."""

import random

import numpy as np
import torch

from course_utils._checks import is_integer


def seed_everything(seed: int = 0, num_threads: int = 1) -> None:
    """Seed every random generator the course uses and fix how results are printed.

    Seeds Python's ``random``, NumPy's global generator and torch's default
    generator with ``seed``; pins torch to ``num_threads`` CPU threads (with one
    thread, reductions add in the same order on every run); prints tensors and
    arrays with 4 decimals, as the stored notebook outputs are written.

    Args:
        seed: a non-negative integer.
        num_threads: CPU threads torch may use for one operation (>= 1).
    """
    if not is_integer(seed) or seed < 0:  # Python or numpy integers
        raise ValueError(f"seed_everything expected a non-negative int seed, got {seed!r}")
    if not is_integer(num_threads) or num_threads < 1:
        raise ValueError(f"seed_everything expected num_threads >= 1, got {num_threads!r}")
    seed, num_threads = int(seed), int(num_threads)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds the global generator students may call
    torch.manual_seed(seed)
    torch.set_num_threads(num_threads)
    torch.set_printoptions(precision=4)
    np.set_printoptions(precision=4, suppress=True)
