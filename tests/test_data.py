"""Tests for course_utils.data: the Iris loader, the split and the standardizer."""

import shutil

import pytest
import torch

from course_utils.data import (
    CLASS_NAMES,
    IRIS_PATH,
    Standardizer,
    load_iris,
    train_test_split,
)


def test_load_iris_shapes_dtypes_and_names():
    X, y, feature_names, class_names = load_iris()
    assert X.shape == (150, 4) and X.dtype == torch.float32
    assert y.shape == (150,) and y.dtype == torch.int64
    assert y.bincount().tolist() == [50, 50, 50]
    assert feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert class_names == CLASS_NAMES == ("setosa", "versicolor", "virginica")


def test_load_iris_values_follow_fisher():
    X, y, *_ = load_iris()
    # First row, and the two rows where Fisher's values differ from the UCI file.
    assert X[0].tolist() == pytest.approx([5.1, 3.5, 1.4, 0.2])
    assert X[34].tolist() == pytest.approx([4.9, 3.1, 1.5, 0.2])
    assert X[37].tolist() == pytest.approx([4.9, 3.6, 1.4, 0.1])
    assert y[0] == 0 and y[50] == 1 and y[149] == 2


def test_load_iris_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"not found at .*git checkout -- data/iris.csv"):
        load_iris(tmp_path / "iris.csv")


def test_load_iris_edited_file_is_refused(tmp_path):
    edited = tmp_path / "iris.csv"
    shutil.copy(IRIS_PATH, edited)
    text = edited.read_text().replace("5.1,3.5,1.4,0.2", "5.1,3.5,1.4,0.3", 1)
    edited.write_text(text)
    with pytest.raises(ValueError, match=r"SHA-256 .* expected 9cc1c345.*edited or corrupted"):
        load_iris(edited)


@pytest.mark.parametrize("test_size, n_test", [(0.2, 30), (0.5, 75), (30, 30)])
def test_split_sizes_and_stratification(test_size, n_test):
    X, y, *_ = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=0)
    assert len(X_test) == len(y_test) == n_test
    assert len(X_train) == len(y_train) == 150 - n_test
    assert y_test.bincount(minlength=3).tolist() == [n_test // 3] * 3


def test_split_is_a_partition_with_rows_kept_together():
    X = torch.arange(20.0).reshape(10, 2)
    y = torch.tensor([0, 1] * 5)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, seed=3)
    rows = torch.cat([X_train, X_test])[:, 0].sort().values
    assert torch.equal(rows, X[:, 0])
    # each row's label travels with it: row i has first feature 2i and label i % 2
    for Xp, yp in [(X_train, y_train), (X_test, y_test)]:
        assert torch.equal((Xp[:, 0] / 2).long() % 2, yp)


def test_split_is_reproducible_and_depends_on_seed():
    X, y, *_ = load_iris()
    a = train_test_split(X, y, seed=1)
    b = train_test_split(X, y, seed=1)
    c = train_test_split(X, y, seed=2)
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))
    assert not torch.equal(a[1], c[1])


def test_split_leaves_the_global_generator_alone():
    X, y, *_ = load_iris()
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    train_test_split(X, y, seed=5)
    assert torch.equal(torch.rand(3), expected)


def test_split_without_stratify():
    X, y, *_ = load_iris()
    X_train, X_test, _, _ = train_test_split(X, y, test_size=0.3, stratify=False)
    assert X_train.shape == (105, 4) and X_test.shape == (45, 4)


@pytest.mark.parametrize("test_size", [0.0, 1.0, 1.5, 0, 150, -3, True])
def test_split_rejects_bad_test_size(test_size):
    X, y, *_ = load_iris()
    with pytest.raises(ValueError, match="test_size must be"):
        train_test_split(X, y, test_size=test_size)


def test_split_rejects_mismatched_shapes_and_float_labels():
    X, y, *_ = load_iris()
    with pytest.raises(ValueError, match=r"expected y of shape \(150,\).*got \(149,\)"):
        train_test_split(X, y[:-1])
    with pytest.raises(ValueError, match=r"expected X of shape \(N, D\), got \(150,\)"):
        train_test_split(X[:, 0], y)
    with pytest.raises(ValueError, match="int64 class labels, got y of dtype torch.float32"):
        train_test_split(X, y.float())


def test_standardizer_hand_case():
    X = torch.tensor([[1.0, 10.0], [3.0, 10.0]])
    s = Standardizer().fit(X)
    assert s.mean.tolist() == [2.0, 10.0]
    assert s.std.tolist() == [1.0, 1.0]  # population std of (1, 3) is 1; constant column -> 1
    assert s.transform(X).tolist() == [[-1.0, 0.0], [1.0, 0.0]]
    assert s.transform(torch.tensor([[5.0, 12.0]])).tolist() == [[3.0, 2.0]]


def test_standardizer_uses_training_statistics_only():
    X, y, *_ = load_iris()
    X_train, X_test, _, _ = train_test_split(X, y)
    s = Standardizer()
    Z_train = s.fit_transform(X_train)
    torch.testing.assert_close(Z_train.mean(0), torch.zeros(4), atol=1e-6, rtol=0)
    torch.testing.assert_close(Z_train.std(0, correction=0), torch.ones(4))
    torch.testing.assert_close(s.transform(X_test), (X_test - X_train.mean(0)) / s.std)


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="before fit"):
        Standardizer().transform(torch.zeros(2, 4))
    s = Standardizer().fit(torch.rand(5, 4))
    expected = r"fit on 4 features: expected X of shape \(N, 4\), got \(5, 3\)"
    with pytest.raises(ValueError, match=expected):
        s.transform(torch.rand(5, 3))
    with pytest.raises(ValueError, match=r"expected X of shape \(N, D\) with N >= 1, got \(0, 4\)"):
        Standardizer().fit(torch.zeros(0, 4))
    with pytest.raises(ValueError, match="floating-point X, got torch.int64"):
        Standardizer().fit(torch.ones(3, 2, dtype=torch.int64))
