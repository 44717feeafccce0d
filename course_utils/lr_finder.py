"""The learning-rate range test ("lr finder") of notebook 07.

One short run in which the learning rate grows by a constant factor after every
step: the loss against lr, on a log-x axis, shows where steps are too small to
matter, where the loss falls, and where it explodes. ``plot_lr_find``
(course_utils.plot_iris) draws the curve.
"""

import math

import torch

from course_utils._checks import is_real, positive_int
from course_utils.training import _check_rows, iterate_minibatches

__all__ = ["lr_find"]


def lr_find(model, loss_fn, optimizer, X: torch.Tensor, y: torch.Tensor, batch_size: int,
            lr_min: float = 1e-4, lr_max: float = 10.0, num_steps: int = 100,
            stop_factor: float = 4.0, seed: int = 0, restore: bool = True) -> tuple:
    """Learning-rate range test: one step per batch, lr multiplied by a constant factor each step.

    Step k (k = 0, 1, ...) uses lr_k = lr_min * q^k, q = (lr_max / lr_min)^(1 / (num_steps - 1)),
    and records the loss of that batch before the step. It stops after num_steps steps, or
    as soon as a loss is nan/inf or exceeds stop_factor * (the smallest loss so far); that
    last loss is recorded too. A nan/inf loss on the very first step (lr_min) is not an
    explosion but bad data or a broken model: ValueError. Batches come from
    iterate_minibatches (seeded, reshuffled after each pass). With restore, model and
    optimizer state (the lr included) are put back afterwards, so the caller can train
    from the same start; the model's train/eval mode is restored in any case.

    Args:
        model, loss_fn, optimizer: as for fit (optimizer has an ``lr`` attribute).
        X: (N, D). y: (N,) targets. batch_size: B >= 1.
        lr_min < lr_max: positive finite floats. num_steps >= 2. stop_factor > 1.
    Returns:
        (lrs, losses): two lists of floats of the same length (<= num_steps).
    """
    _check_rows(X, y, "lr_find")
    batch_size = positive_int(batch_size, "lr_find batch_size")
    num_steps = positive_int(num_steps, "lr_find num_steps")
    if not (is_real(lr_min) and is_real(lr_max) and 0 < lr_min < lr_max < math.inf) \
            or num_steps < 2:
        raise ValueError(f"lr_find expected finite 0 < lr_min < lr_max and num_steps >= 2, got "
                         f"lr_min={lr_min!r}, lr_max={lr_max!r}, num_steps={num_steps!r}")
    if not (is_real(stop_factor) and stop_factor > 1):
        raise ValueError(f"lr_find expected stop_factor > 1, got {stop_factor!r}")
    if not hasattr(optimizer, "lr"):
        raise TypeError(f"lr_find expected an optimizer with an lr attribute, got "
                        f"{type(optimizer).__name__}")
    was_training = getattr(model, "training", True)
    saved = (_snapshot(model.state_dict()), _snapshot(optimizer.state_dict())) if restore else None
    q = (lr_max / lr_min) ** (1 / (num_steps - 1))
    lrs, losses = [], []
    model.train()
    batches, pass_seed = iter(()), seed
    try:
        while len(lrs) < num_steps:
            batch = next(batches, None)
            if batch is None:  # a new pass over the data, shuffled differently
                batches = iterate_minibatches(X, y, batch_size, seed=pass_seed)
                pass_seed += 1
                continue
            optimizer.lr = lr_min * q ** len(lrs)
            optimizer.zero_grad()
            loss = loss_fn(model(batch[0]), batch[1]).item()
            if not lrs and not math.isfinite(loss):
                raise ValueError(f"lr_find: the loss is {loss} on the first step, at lr_min="
                                 f"{lr_min:g}, before any update: check X and y for nan/inf")
            lrs.append(optimizer.lr)
            losses.append(loss)
            if not math.isfinite(loss) or loss > stop_factor * min(losses):
                break
            model.backward(loss_fn.backward())
            optimizer.step()
    finally:
        if saved is not None:
            model.load_state_dict(saved[0])
            optimizer.load_state_dict(saved[1])
        model.train(was_training)
    return lrs, losses


def _snapshot(state: dict) -> dict:
    """A deep copy of a state dict: the optimizer's buffers are its live tensors."""
    if isinstance(state, dict):
        return {k: _snapshot(v) for k, v in state.items()}
    if isinstance(state, list):
        return [_snapshot(v) for v in state]
    return state.clone() if isinstance(state, torch.Tensor) else state
