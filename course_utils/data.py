"""The Iris data set, train/test splitting and standardisation.

``load_iris`` reads ``data/iris.csv`` and checks its SHA-256, so an edited or
corrupted copy stops the course with a clear error instead of silently
changing every number downstream.
"""

import csv
import hashlib
from pathlib import Path
from typing import NamedTuple

import torch

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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_iris(path: str | Path = IRIS_PATH) -> Iris:
    """Load Fisher's Iris data after verifying the file's SHA-256.

    Returns:
        ``Iris(X, y, feature_names, class_names)``, unpackable as a 4-tuple:
        X: (150, 4) float32, measurements in cm; y: (150,) int64 class indices
        into ``class_names`` = ("setosa", "versicolor", "virginica").

    Raises:
        FileNotFoundError: the file is missing.
        ValueError: the file's hash differs from the one in data/README.md.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Iris data not found at {path}. It ships with the course as data/iris.csv: "
            "restore it with `git checkout -- data/iris.csv`."
        )
    digest = _sha256(path)
    if digest != IRIS_SHA256:
        raise ValueError(
            f"{path} has SHA-256 {digest}, expected {IRIS_SHA256}: the file was edited or "
            "corrupted. Restore it with `git checkout -- data/iris.csv` (see data/README.md)."
        )
    with path.open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    X = torch.tensor([[float(v) for v in row[:4]] for row in rows], dtype=torch.float32)
    y = torch.tensor([CLASS_NAMES.index(row[4]) for row in rows], dtype=torch.int64)
    return Iris(X, y, FEATURE_NAMES, CLASS_NAMES)


def _check_Xy(X: torch.Tensor, y: torch.Tensor, where: str) -> None:
    if not isinstance(X, torch.Tensor) or X.ndim != 2:
        got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
        raise ValueError(f"{where} expected X of shape (N, D), got {got}")
    if not isinstance(y, torch.Tensor) or y.ndim != 1 or len(y) != len(X):
        got = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"{where} expected y of shape ({len(X)},) to match X, got {got}")


def _test_count(n: int, test_size: float | int) -> int:
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        return round(n * test_size)
    if isinstance(test_size, int) and not isinstance(test_size, bool) and 0 < test_size < n:
        return test_size
    raise ValueError(
        f"test_size must be a fraction in (0, 1) or a count in 1..{n - 1}, got {test_size!r}"
    )


def train_test_split(X, y, test_size=0.2, seed=0, stratify=True):
    """Shuffle and split ``(X, y)`` into train and test parts, reproducibly.

    With ``stratify=True`` each class keeps its share in both parts: class c
    with n_c rows sends round(n_c * test_size) of them to the test set.

    Args:
        X: (N, D) features. y: (N,) int64 labels.
        test_size: fraction in (0, 1), or a number of test rows in 1..N-1.
        seed: seeds a private generator; the global torch generator is untouched.
        stratify: keep class proportions (needs integer labels).

    Returns:
        ``X_train (N - n_test, D), X_test (n_test, D), y_train, y_test``.
    """
    _check_Xy(X, y, "train_test_split")
    n_test = _test_count(len(X), test_size)
    gen = torch.Generator().manual_seed(seed)
    if not stratify:
        perm = torch.randperm(len(X), generator=gen)
        test_idx, train_idx = perm[:n_test], perm[n_test:]
    else:
        if y.dtype != torch.int64:
            raise ValueError(f"stratify=True needs int64 class labels, got y of dtype {y.dtype}")
        frac = n_test / len(X)
        test_parts, train_parts = [], []
        for c in torch.unique(y):
            idx = torch.nonzero(y == c).flatten()
            idx = idx[torch.randperm(len(idx), generator=gen)]
            k = round(len(idx) * frac)
            test_parts.append(idx[:k])
            train_parts.append(idx[k:])
        # Shuffle across classes so minibatches are not sorted by label.
        test_idx = torch.cat(test_parts)[torch.randperm(sum(map(len, test_parts)), generator=gen)]
        train_idx = torch.cat(train_parts)
        train_idx = train_idx[torch.randperm(len(train_idx), generator=gen)]
    return X[train_idx], X[test_idx], y[train_idx], y[test_idx]


class Standardizer:
    """Rescale each feature to mean 0 and standard deviation 1, using training statistics.

    ``fit(X_train)`` stores ``mean`` and ``std`` (population std, as
    scikit-learn's StandardScaler), each (D,); ``transform(X)`` returns
    ``(X - mean) / std``. Fit on the training set only: statistics taken from
    the test set leak it into training. A constant feature (std 0) is only centred.
    """

    def __init__(self) -> None:
        self.mean: torch.Tensor | None = None
        self.std: torch.Tensor | None = None

    def fit(self, X: torch.Tensor) -> "Standardizer":
        """Compute per-feature mean and std of ``X`` (N, D), N >= 1; return self."""
        if not isinstance(X, torch.Tensor) or X.ndim != 2 or len(X) == 0:
            got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(f"Standardizer.fit expected X of shape (N, D) with N >= 1, got {got}")
        if not X.is_floating_point():
            raise ValueError(f"Standardizer.fit expected a floating-point X, got {X.dtype}")
        self.mean = X.mean(dim=0)
        std = X.std(dim=0, correction=0)
        self.std = torch.where(std > 0, std, torch.ones_like(std))
        return self

    def transform(self, X: torch.Tensor) -> torch.Tensor:
        """Return ``(X - mean) / std`` for ``X`` of shape (N, D) with the fitted D."""
        if self.mean is None:
            raise RuntimeError("Standardizer.transform called before fit: call fit(X_train) first")
        if not isinstance(X, torch.Tensor) or X.ndim != 2 or X.shape[1] != len(self.mean):
            got = tuple(X.shape) if isinstance(X, torch.Tensor) else type(X).__name__
            raise ValueError(
                f"Standardizer was fit on {len(self.mean)} features: expected X of shape "
                f"(N, {len(self.mean)}), got {got}"
            )
        return (X - self.mean) / self.std

    def fit_transform(self, X: torch.Tensor) -> torch.Tensor:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)
