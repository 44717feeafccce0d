"""Evaluating a classifier and watching it train: confusion matrix, class summary, update ratios.

``confusion_matrix`` counts (true class, predicted class) pairs; ``class_summary``
gives the per-class mean and standard deviation of each feature; ``UpdateRatios``
is a per-step diagnostic for ``fit(..., on_step=...)``: for each weight matrix W it
records ||W_t - W_{t-1}|| / ||W_{t-1}||, the size of an update relative to the
weights it changes (about 1e-3 is the usual guide: much smaller and the layer
barely learns, much larger and it is being overwritten).
"""

import torch

from course_utils._checks import check_tensor, positive_int

__all__ = ["UpdateRatios", "class_summary", "confusion_matrix"]


def _check_class_ids(t: torch.Tensor, C: int, where: str, name: str) -> None:
    """t must be (N,) integer class ids in [0, C): floats and bools are not class ids."""
    if t.ndim != 1 or t.is_floating_point() or t.dtype == torch.bool or t.is_complex():
        raise ValueError(f"{where} expected {name} as (N,) integer class ids, "
                         f"got {tuple(t.shape)} {t.dtype}")
    if t.numel() and (t.min() < 0 or t.max() >= C):
        raise ValueError(f"{where} expected {name} in [0, {C - 1}] for num_classes={C}, got "
                         f"values from {t.min().item()} to {t.max().item()}")


def confusion_matrix(logits_or_preds: torch.Tensor, y: torch.Tensor,
                     num_classes: int) -> torch.Tensor:
    """M[i, j] = number of samples of true class i predicted as class j.

    The diagonal holds the correct predictions; row i sums to the number of samples of
    class i; trace(M) / N is the accuracy.

    Args:
        logits_or_preds: (N, C) scores (argmax is taken) or (N,) int64 predicted classes.
        y: (N,) int64 true classes. num_classes: C.
    Returns:
        (C, C) int64 counts.
    """
    C = positive_int(num_classes, "confusion_matrix num_classes")
    check_tensor(logits_or_preds, "confusion_matrix", "logits_or_preds")
    check_tensor(y, "confusion_matrix", "y")
    preds = logits_or_preds
    if preds.ndim == 2:
        if preds.shape[1] != C:
            raise ValueError(f"confusion_matrix expected scores of shape (N, {C}), "
                             f"got {tuple(preds.shape)}")
        if preds.is_floating_point() and bool(preds.isnan().any()):
            raise ValueError("confusion_matrix got nan scores: argmax would count nan as the "
                             "largest (did training diverge?)")
        preds = preds.argmax(1)
    for name, t in (("predictions", preds), ("y", y)):
        _check_class_ids(t, C, "confusion_matrix", name)
    if preds.shape != y.shape:
        raise ValueError(f"confusion_matrix expected as many predictions as labels, got "
                         f"{preds.shape[0]} and {y.shape[0]}")
    return torch.bincount(y.long() * C + preds.long(), minlength=C * C).reshape(C, C)


def class_summary(X: torch.Tensor, y: torch.Tensor, num_classes: int) -> tuple:
    """Per-class count, mean and standard deviation (correction 1, as torch.std) of X.

    Args:
        X: (N, D) floating features. y: (N,) int64 classes in [0, C). num_classes: C.
    Returns:
        (counts (C,) int64, means (C, D), stds (C, D)) in X's dtype.
    """
    check_tensor(X, "class_summary", "X")
    check_tensor(y, "class_summary", "y")
    C = positive_int(num_classes, "class_summary num_classes")
    if X.ndim != 2 or not X.is_floating_point() or y.shape != (X.shape[0],):
        raise ValueError(f"class_summary expected floating X (N, D) and y (N,), got X "
                         f"{tuple(X.shape)} {X.dtype} and y {tuple(y.shape)}")
    _check_class_ids(y, C, "class_summary", "y")
    counts = torch.bincount(y, minlength=C)
    if len(counts) > C or (counts < 2).any():
        raise ValueError(f"class_summary needs at least 2 rows of each class 0..{C - 1}, "
                         f"got counts {counts.tolist()}")
    means = torch.stack([X[y == c].mean(0) for c in range(C)])  # (C, D)
    stds = torch.stack([X[y == c].std(0) for c in range(C)])  # (C, D)
    return counts, means, stds


class UpdateRatios:
    """Record ||W_t - W_{t-1}|| / ||W_{t-1}|| (Frobenius norms) per weight after each step.

    Create it before training (it copies the current weights), pass it as
    ``fit(..., on_step=recorder)``; after training ``recorder.ratios[name]`` is a list
    with one float per optimizer step. Only parameters whose name ends in "weight"
    are watched (biases start near 0, where a ratio means little). A weight that is
    exactly zero before a step has no size to compare with: its ratio is recorded as
    inf (nan if it did not move either), as the division gives, never a made-up number.
    """

    def __init__(self, model):
        if isinstance(model, type):
            raise TypeError(f"UpdateRatios expected a model instance, got the class "
                            f"{model.__name__}")
        named = [(n, p) for n, p in model.named_parameters() if n.endswith("weight")]
        if not named:
            raise ValueError("UpdateRatios found no parameter named '...weight' in the model")
        self._params = dict(named)
        self._previous = {n: p.data.clone() for n, p in named}
        self.ratios = {n: [] for n, _ in named}

    def __call__(self) -> None:
        for name, p in self._params.items():
            before = self._previous[name]
            step = (p.data - before).norm()
            self.ratios[name].append((step / before.norm()).item())  # x / 0 = inf, 0 / 0 = nan
            self._previous[name] = p.data.clone()
