"""The Iris data set, train/test splitting and standardisation.

``load_iris`` reads ``data/iris.csv`` and checks its SHA-256, so an edited or
corrupted copy stops the course with a clear error instead of silently
changing every number downstream. Line endings do not count: a copy with
Windows line endings (CRLF, what git's autocrlf writes) holds the same data.
"""

import csv
import hashlib
import io
import math
from pathlib import Path
from typing import NamedTuple

import torch

from course_utils._checks import check_tensor, is_integer, is_real

IRIS_PATH = Path(__file__).resolve().parent.parent / "data" / "iris.csv"
IRIS_SHA256 = "9cc1c345c71bcc9b486b74cbf6063fa66f4bb5e0f603a4b3c3471ec2e5e8e355"
FEATURE_NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
CLASS_NAMES = ("setosa", "versicolor", "virginica")


class Iris(NamedTuple):
    """Features ``X`` float32 (150, 4), labels ``y`` int64 (150,) in 0..2, and their names."""

    X: torch.Tensor
    y: torch.Tensor
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]


def load_iris(path: str | Path = IRIS_PATH) -> Iris:
    """Load Fisher's Iris data after verifying the file's SHA-256.

    The hash is taken after CRLF -> LF, so a checkout with Windows line endings
    loads (the values are the same); any other change is refused.

    Returns:
        ``Iris(X, y, feature_names, class_names)``, unpackable as a 4-tuple:
        X: (150, 4) float32, measurements in cm; y: (150,) int64 class indices
        into ``class_names`` = ("setosa", "versicolor", "virginica").

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: the content differs from the file described in data/README.md.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Iris data not found at {path}. It ships with the course as data/iris.csv: "
            "restore it with `git checkout -- data/iris.csv`."
        )
    text = path.read_bytes().replace(b"\r\n", b"\n")
    digest = hashlib.sha256(text).hexdigest()
    if digest != IRIS_SHA256:
        raise ValueError(
            f"{path} has SHA-256 {digest} (line endings aside), expected {IRIS_SHA256}: its "
            "content was edited or corrupted (line endings aside). Restore the original with "
            f"`rm {path} && git checkout -- data/iris.csv`, or download the course again "
            "(see data/README.md)."
        )
    rows = list(csv.reader(io.StringIO(text.decode("utf-8"))))[1:]
    X = torch.tensor([[float(v) for v in row[:4]] for row in rows], dtype=torch.float32)
    y = torch.tensor([CLASS_NAMES.index(row[4]) for row in rows], dtype=torch.int64)
    return Iris(X, y, FEATURE_NAMES, CLASS_NAMES)


def _check_Xy(X: torch.Tensor, y: torch.Tensor, where: str) -> None:
    check_tensor(X, where, "X")
    check_tensor(y, where, "y")
    if X.ndim != 2:
        raise ValueError(f"{where} expected X of shape (N, D), got {tuple(X.shape)}")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"{where} expected y of shape ({len(X)},) to match X, "
                         f"got {tuple(y.shape)}")
    if len(X) < 2:
        raise ValueError(f"{where} needs at least 2 rows, got {len(X)}: one for each side")


def _check_seed(seed, where: str) -> int:
    """A seed for torch.Generator.manual_seed: an int (Python or numpy), not a float or a bool."""
    if not is_integer(seed):
        raise ValueError(f"{where} expected seed as an int, got {seed!r}")
    return int(seed)


def _test_count(n: int, test_size) -> int:
    """scikit-learn's rule: an int is the number of test rows, a fraction is rounded up."""
    if is_integer(test_size) and 0 < test_size:
        n_test = int(test_size)
    elif is_real(test_size) and 0.0 < test_size < 1.0:
        exact = n * float(test_size)
        # 0.7 * 10 = 7.000000000000001 in binary floating point: that is 7 test rows, not 8
        n_test = round(exact) if abs(exact - round(exact)) <= 1e-6 * exact else math.ceil(exact)
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a count in 1..{n - 1}, "
                         f"got {test_size!r}")
    if n_test >= n:
        raise ValueError(f"test_size must leave rows for training: test_size={test_size!r} gives "
                         f"{n_test} test rows of {n}, which leaves the training set empty; use a "
                         f"count in 1..{n - 1} or a smaller fraction")
    return n_test


def _class_counts(sizes: list, n_test: int, gen: torch.Generator) -> list:
    """Test rows per class: proportional to the class sizes, exactly n_test in all, and at
    least one row of every class on each side (largest remainders get the leftover rows)."""
    n = sum(sizes)
    ideal = [size * n_test / n for size in sizes]
    counts = [min(max(math.floor(t), 1), size - 1) for t, size in zip(ideal, sizes, strict=True)]
    tie_break = torch.rand(len(sizes), generator=gen).tolist() if sum(counts) != n_test else []
    while sum(counts) != n_test:
        step = 1 if sum(counts) < n_test else -1
        movable = [c for c, size in enumerate(sizes) if 1 <= counts[c] + step <= size - 1]
        c = max(movable, key=lambda c: (step * (ideal[c] - counts[c]), tie_break[c]))
        counts[c] += step
    return counts


def _stratified_indices(y: torch.Tensor, n_test: int, gen: torch.Generator) -> tuple:
    if y.dtype != torch.int64:
        raise ValueError(f"stratify=True needs int64 class labels, got y of dtype {y.dtype}")
    classes, sizes = torch.unique(y, return_counts=True)
    for c, size in zip(classes.tolist(), sizes.tolist(), strict=True):
        if size < 2:
            raise ValueError(f"train_test_split: class {c} has only {size} row: stratify=True "
                             "needs at least 2 rows of every class (one for each side); "
                             "gather more data or use stratify=False")
    for side, count in (("test", n_test), ("training", len(y) - n_test)):
        if count < len(classes):
            raise ValueError(f"train_test_split: the {side} set would have {count} rows for "
                             f"{len(classes)} classes: stratify=True puts every class on each "
                             "side; change test_size")
    test_parts, train_parts = [], []
    for c, k in zip(classes, _class_counts(sizes.tolist(), n_test, gen), strict=True):
        idx = torch.nonzero(y == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        test_parts.append(idx[:k])
        train_parts.append(idx[k:])
    # Shuffle across classes so minibatches are not sorted by label.
    test_idx = torch.cat(test_parts)[torch.randperm(n_test, generator=gen)]
    train_idx = torch.cat(train_parts)
    return train_idx[torch.randperm(len(train_idx), generator=gen)], test_idx


def train_test_split(X, y, test_size=0.2, seed=0, stratify=True):
    """Shuffle and split ``(X, y)`` into train and test parts, reproducibly.

    Sizes follow scikit-learn: an int test_size is the number of test rows; a
    fraction gives n_test = ceil(test_size * N). With ``stratify=True`` each class
    keeps its share in both parts: class c (n_c rows) gets about n_c * n_test / N
    test rows, rounded so that the total is exactly n_test and every class has at
    least one row on each side.

    Args:
        X: (N, D) features. y: (N,) int64 labels.
        test_size: fraction in (0, 1), or a number of test rows in 1..N-1
            (Python or numpy numbers).
        seed: seeds a private generator; the global torch generator is untouched.
        stratify: keep class proportions (needs int64 labels, >= 2 rows per class).

    Returns:
        ``X_train (N - n_test, D), X_test (n_test, D), y_train, y_test``.
    """
    _check_Xy(X, y, "train_test_split")
    n_test = _test_count(len(X), test_size)
    gen = torch.Generator().manual_seed(_check_seed(seed, "train_test_split"))
    if stratify:
        train_idx, test_idx = _stratified_indices(y, n_test, gen)
    else:
        perm = torch.randperm(len(X), generator=gen)
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


def train_val_test_split(X, y, val_size, test_size, seed=0, stratify=True):
    """Split ``(X, y)`` three ways: training, validation (to choose settings) and test (to report).

    Two calls of train_test_split: the test rows are taken first from all of X
    (generator seeded with ``seed``), then the validation rows from what is left
    (seeded with ``seed + 1``), each stratified by default.

    Args:
        X: (N, D). y: (N,) int64. val_size, test_size: numbers of rows (ints >= 1) or
            fractions of N in (0, 1); val_size is always measured against the N rows.
        seed: int. stratify: keep class proportions in each part.
    Returns:
        ``X_train, X_val, X_test, y_train, y_val, y_test``.
    """
    _check_Xy(X, y, "train_val_test_split")
    seed = _check_seed(seed, "train_val_test_split")
    n_test = _test_count(len(X), test_size)
    n_val = _test_count(len(X), val_size)
    if n_val >= len(X) - n_test:
        raise ValueError(f"train_val_test_split: {n_test} test and {n_val} validation rows leave "
                         f"no training rows of {len(X)}; make val_size or test_size smaller")
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, n_test, seed, stratify)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, n_val, seed + 1, stratify)
    return X_train, X_val, X_test, y_train, y_val, y_test


class Standardizer:
    """Rescale each feature to mean 0 and standard deviation 1, using training statistics.

    ``fit(X_train)`` stores ``mean`` and ``std`` (population std, as
    scikit-learn's StandardScaler), each (D,); ``transform(X)`` returns
    ``(X - mean) / std``. Fit on the training set only: statistics taken from
    the test set leak it into training. The statistics are computed in float64
    and stored in X's dtype. A constant feature is only centred (to exactly 0):
    its std is 0 or, through rounding, below N * 2^-52 * |mean| (scikit-learn's
    bound), and is replaced by 1.
    """

    def __init__(self) -> None:
        self.mean: torch.Tensor | None = None
        self.std: torch.Tensor | None = None

    def fit(self, X: torch.Tensor) -> "Standardizer":
        """Compute per-feature mean and std of ``X`` (N, D), N >= 1, all finite; return self."""
        check_tensor(X, "Standardizer.fit", "X")
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"Standardizer.fit expected X of shape (N, D) with N >= 1, "
                             f"got {tuple(X.shape)}")
        if not X.is_floating_point():
            raise ValueError(f"Standardizer.fit expected a floating-point X, got {X.dtype}")
        bad = (~torch.isfinite(X)).any(0).nonzero().flatten().tolist()
        if bad:
            more = f" (and in columns {bad[1:]})" if len(bad) > 1 else ""
            raise ValueError(f"Standardizer.fit got nan or inf in column {bad[0]} (of "
                             f"0..{X.shape[1] - 1}){more}: the column's mean and std would be "
                             "nan, and so would every value; clean or drop those rows first")
        X64 = X.double()
        mean = X64.mean(dim=0)
        std = X64.std(dim=0, correction=0)
        constant = std <= len(X) * torch.finfo(torch.float64).eps * mean.abs()
        self.mean = mean.to(X.dtype)
        self.std = torch.where(constant | (std == 0), 1.0, std).to(X.dtype)
        return self

    def transform(self, X: torch.Tensor) -> torch.Tensor:
        """Return ``(X - mean) / std`` for ``X`` of shape (N, D) with the fitted D."""
        if self.mean is None:
            raise RuntimeError("Standardizer.transform called before fit: call fit(X_train) first")
        check_tensor(X, "Standardizer.transform", "X")
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise ValueError(
                f"Standardizer was fit on {len(self.mean)} features: expected X of shape "
                f"(N, {len(self.mean)}), got {tuple(X.shape)}"
            )
        return (X - self.mean) / self.std

    def fit_transform(self, X: torch.Tensor) -> torch.Tensor:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)
