"""Training loop for the from-scratch engine: mini-batches, accuracy, and fit.

fit runs the loop every later notebook repeats: for each mini-batch,
zero the gradients, forward, loss, backward, optimizer step; after each epoch,
record the mean training loss (and accuracy) and, given validation data,
the validation loss and accuracy computed in eval mode under torch.no_grad().

Speed: fit checks its arguments and the labels once per call (the first
training batch and the first validation pass take the full accuracy checks,
later ones only the cheap nan check), and skips dX of the first layer
(``backward(..., input_grad=False)``), which nobody uses: the same work as the
equivalent loop written in torch. lr_find, the learning-rate range test, lives in
course_utils.lr_finder; ``from course_utils.training import lr_find`` still works.
"""

import inspect
import math

import torch

from course_utils._checks import check_tensor, is_integer, positive_int

__all__ = ["accuracy", "fit", "iterate_minibatches"]  # and lr_find, from course_utils.lr_finder


def _check_rows(X, y, where: str) -> None:
    """X (N, ...) and y (N, ...) must be tensors with the same number of rows, N >= 1."""
    for name, t in (("X", X), ("y", y)):
        check_tensor(t, where, name)
        if t.ndim == 0:
            raise TypeError(f"{where} expected {name} as a tensor with a batch dimension, "
                            "got a 0-dim tensor")
    if X.shape[0] != y.shape[0] or X.shape[0] == 0:
        raise ValueError(f"{where} expected X and y with the same number of rows N >= 1, "
                         f"got X {tuple(X.shape)} and y {tuple(y.shape)}")


def iterate_minibatches(X: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool = True,
                        seed: int = 0):
    """Yield (X_batch, y_batch) pairs that cover every row exactly once.

    With shuffle, the rows are visited in the order torch.randperm(N) draws
    from a private generator seeded with ``seed``: the global random state is
    neither used nor changed, and the same seed gives the same batches.
    The last batch keeps the N % batch_size leftover rows (it is smaller).

    Args:
        X: (N, D) inputs. y: (N,) or (N, K) targets. batch_size: B >= 1.
        shuffle: visit rows in random order (else in order 0..N-1). seed: int.
    Yields:
        X_batch: (B, D), y_batch: (B,) or (B, K); B = batch_size except maybe the last.
    """
    _check_rows(X, y, "iterate_minibatches")
    batch_size = positive_int(batch_size, "iterate_minibatches batch_size")
    n = X.shape[0]
    if shuffle:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            yield X[rows], y[rows]
    else:  # slices are views: no copy
        for start in range(0, n, batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]


def accuracy(logits_or_preds: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of correct predictions: mean_n [argmax_c logits[n, c] == y[n]].

    Accepts scores (logits, probabilities or log-probabilities: argmax is the
    same) or already predicted class ids. Ties go to the lowest class index.
    With scores, labels outside [0, C) and nan scores raise ValueError.

    Args:
        logits_or_preds: (N, C) scores with C >= 2, or (N,) integer class ids.
        y: (N,) integer class ids.
    Returns:
        a Python float in [0, 1].
    """
    scores = check_tensor(logits_or_preds, "accuracy", "logits_or_preds")
    check_tensor(y, "accuracy", "y")
    if y.ndim != 1 or y.is_floating_point():
        raise ValueError(f"accuracy expected y as (N,) integer class ids, got {tuple(y.shape)} "
                         f"{y.dtype}")
    if scores.ndim == 2 and scores.shape[1] >= 2:
        _check_scores(scores, y)
        preds = scores.argmax(1)
    elif scores.ndim == 1 and not scores.is_floating_point():
        preds = scores
    else:
        raise ValueError("accuracy expected (N, C) scores with C >= 2 or (N,) integer predictions, "
                         f"got {tuple(scores.shape)} {scores.dtype}")
    if preds.shape != y.shape or y.numel() == 0:
        raise ValueError(f"accuracy expected {y.shape[0]} predictions for {y.shape[0]} labels "
                         f"(N >= 1), got input of shape {tuple(scores.shape)}")
    return (preds == y).double().mean().item()


def _check_scores(scores: torch.Tensor, y: torch.Tensor) -> None:
    """Labels a C-column score matrix cannot predict, or nan scores, would count silently."""
    C = scores.shape[1]
    if y.numel() and (y.min() < 0 or y.max() >= C):
        raise ValueError(f"accuracy expected labels in [0, {C - 1}] for {C} columns of scores, "
                         f"got values from {y.min().item()} to {y.max().item()}")
    if scores.is_floating_point() and bool(scores.isnan().any()):
        raise ValueError("accuracy got nan scores: argmax would count nan as the largest "
                         "(did training diverge?)")


def _is_classification(y: torch.Tensor) -> bool:
    return y.ndim == 1 and not y.is_floating_point()


def _check_finite(loss: float, epoch: int, epochs: int, batch: int, optimizer) -> None:
    """Stop with a FloatingPointError that says where the loss stopped being a number."""
    if not math.isfinite(loss):
        lr = getattr(optimizer, "lr", None)
        raise FloatingPointError(
            f"fit: the loss became {loss} at epoch {epoch}/{epochs}, batch {batch}: the "
            f"updates diverged; try a smaller learning rate (lr={lr}) or check the data "
            "for nan/inf"
        )


def _count_correct(logits: torch.Tensor, y: torch.Tensor, full_checks: bool) -> int:
    """Number of rows whose argmax is the label; full accuracy checks only when asked."""
    if full_checks:
        return round(accuracy(logits, y) * len(y))
    if bool(logits.isnan().any()):  # cheap, and the only check a finite loss leaves to do
        raise ValueError("accuracy got nan scores: argmax would count nan as the largest "
                         "(did training diverge?)")
    return int((logits.argmax(1) == y).sum())


def _train_epoch(model, loss_fn, optimizer, batches, where, skip_dX: bool, on_step=None,
                 full_checks: bool = True) -> tuple:
    """One pass over the batches; returns (mean loss, mean accuracy or None), row-weighted."""
    model.train()
    total_loss, total_correct, total_rows = 0.0, 0, 0
    for batch, (X_batch, y_batch) in enumerate(batches, start=1):
        optimizer.zero_grad()
        logits = model(X_batch)  # (B, C)
        loss = loss_fn(logits, y_batch).item()
        _check_finite(loss, *where, batch, optimizer)
        if skip_dX:  # X is data: its gradient would be computed and thrown away
            model.backward(loss_fn.backward(), input_grad=False)
        else:
            model.backward(loss_fn.backward())
        optimizer.step()
        if on_step is not None:
            on_step()
        total_loss += loss * X_batch.shape[0]
        total_rows += X_batch.shape[0]
        if _is_classification(y_batch):
            total_correct += _count_correct(logits, y_batch, full_checks=full_checks and batch == 1)
    acc = total_correct / total_rows if _is_classification(y_batch) else None
    return total_loss / total_rows, acc


def _evaluate(model, loss_fn, X: torch.Tensor, y: torch.Tensor, epoch: int,
              full_checks: bool = True) -> tuple:
    """(loss, accuracy or None) on the whole of X, y in eval mode (Dropout off).

    Under torch.no_grad(): the model and the loss keep what the last training
    forward saved (see course_utils.module), as torch keeps its graph.
    """
    model.eval()
    with torch.no_grad():
        logits = model(X)
        loss = loss_fn(logits, y).item()
    if not math.isfinite(loss):  # training was finite, so the validation data is to blame
        raise FloatingPointError(
            f"fit: the validation loss became {loss} after epoch {epoch} while the training "
            "loss was finite: check X_val for nan/inf"
        )
    if not _is_classification(y):
        return loss, None
    return loss, _count_correct(logits, y, full_checks) / len(y)


def _record(history: dict, prefix: str, loss: float, acc) -> None:
    history.setdefault(prefix + "loss", []).append(loss)
    if acc is not None:
        history.setdefault(prefix + "acc", []).append(acc)


def _accepts_input_grad(model) -> bool:
    """Whether model.backward takes input_grad (Linear, Sequential, or a model written so)."""
    try:
        return "input_grad" in inspect.signature(model.backward).parameters
    except (TypeError, ValueError):  # no signature to read: call it the plain way
        return False


def fit(model, loss_fn, optimizer, X: torch.Tensor, y: torch.Tensor, epochs: int,
        batch_size: int, val=None, seed: int = 0, start_epoch: int = 0, on_step=None) -> dict:
    """Train with mini-batch gradient descent; return the per-epoch history.

    Per batch: zero_grad; loss = loss_fn(model(X_b), y_b); model.backward(loss_fn.backward());
    step. Batches are reshuffled each epoch: a generator seeded with ``seed`` draws one
    epoch seed per epoch, torch.randint(2**62, ()), and the epoch's rows come in the order
    torch.randperm(N, generator=Generator().manual_seed(epoch_seed)) (iterate_minibatches).
    "loss"/"acc": row-weighted means over the epoch's batches in train mode (Dropout on);
    "val_loss"/"val_acc": after each epoch, in eval mode. "acc" keys only when y holds
    class ids. The model is left in eval mode. A nan/inf loss raises FloatingPointError
    naming the epoch and batch (or the epoch, for the validation loss).

    Resuming: after ``load_checkpoint`` returned epoch k, ``fit(..., epochs=E,
    start_epoch=k)`` runs epochs k+1..E with the shuffles an uninterrupted
    ``fit(..., epochs=E)`` would have used, so the run continues bit-identically.

    Args:
        model, loss_fn: Modules. optimizer: built on model.parameters().
        X: (N, D). y: (N,) int64 class ids or (N, K) regression targets.
        epochs, batch_size: positive ints (epochs counts from the start of training).
        val: optional (X_val, y_val). seed: int. start_epoch: epochs already done, < epochs.
        on_step: optional callable, called with no arguments after every optimizer.step()
            (per-step diagnostics, e.g. course_utils.evaluation.UpdateRatios).
    Returns:
        dict name -> list of `epochs - start_epoch` floats: "loss", "acc" [, "val_loss",
        "val_acc"].
    """
    _check_rows(X, y, "fit")
    epochs = positive_int(epochs, "fit epochs")
    batch_size = positive_int(batch_size, "fit batch_size")
    if not is_integer(start_epoch) or not 0 <= start_epoch < epochs:
        raise ValueError(f"fit expected start_epoch in 0..{epochs - 1} (epochs already done), "
                         f"got {start_epoch!r}")
    if val is not None:
        if not isinstance(val, tuple | list) or len(val) != 2:
            raise TypeError(f"fit expected val=(X_val, y_val), got {type(val).__name__}")
        _check_rows(*val, "fit (val)")
    if on_step is not None and not callable(on_step):
        raise TypeError(f"fit expected on_step as a callable (or None), "
                        f"got {type(on_step).__name__}")
    if isinstance(on_step, type):  # a class is callable, but calling it builds an object
        raise TypeError(f"fit expected on_step as a callable object such as "
                        f"{on_step.__name__}(model), got the class {on_step.__name__} itself")
    skip_dX = _accepts_input_grad(model)
    seeds = torch.Generator().manual_seed(seed)
    history = {}
    for epoch in range(1, epochs + 1):
        epoch_seed = int(torch.randint(2**62, (), generator=seeds))
        if epoch <= start_epoch:  # done before the checkpoint: only its seed is drawn
            continue
        batches = iterate_minibatches(X, y, batch_size, shuffle=True, seed=epoch_seed)
        where, first = (epoch, epochs), epoch == start_epoch + 1  # full label checks once
        _record(history, "", *_train_epoch(model, loss_fn, optimizer, batches, where, skip_dX,
                                           on_step, full_checks=first))
        if val is not None:
            _record(history, "val_", *_evaluate(model, loss_fn, *val, epoch, full_checks=first))
    model.eval()
    return history


def __getattr__(name: str):
    """``from course_utils.training import lr_find`` keeps working: it lives in lr_finder."""
    if name == "lr_find":
        from course_utils.lr_finder import lr_find
        return lr_find
    raise AttributeError(f"module 'course_utils.training' has no attribute {name!r}")
