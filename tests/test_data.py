"""Tests for course_utils.data: the Iris loader, the split and the standardizer."""

import shutil
import subprocess

import numpy as np
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
    with pytest.raises(ValueError, match="test_size must (be|leave rows for training)"):
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
    # torch.allclose, not torch.testing.assert_close: the latter's first call imports ~1 s of torch
    assert torch.allclose(Z_train.mean(0), torch.zeros(4), atol=1e-6, rtol=0)
    assert torch.allclose(Z_train.std(0, correction=0), torch.ones(4), atol=1e-5, rtol=1.3e-6)
    assert torch.allclose(s.transform(X_test), (X_test - X_train.mean(0)) / s.std,
                          atol=1e-5, rtol=1.3e-6)


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


# ---------------------------------------------------------------- issue 8: no silent wrong answers

def labels(counts):
    """y with counts[c] rows of class c, and X whose first column numbers the rows."""
    y = torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])
    return torch.arange(len(y), dtype=torch.float32)[:, None].repeat(1, 2), y


# scikit-learn's rule: an int is an exact count; a fraction is rounded UP (ceil)
@pytest.mark.parametrize("test_size, n_test", [
    (7, 7), (1, 1), (149, 149), (0.01, 2), (0.001, 1), (0.2, 30), (0.3, 45), (0.7, 105),
    (np.float64(0.2), 30), (np.float32(0.2), 30), (np.int64(7), 7), (np.int32(12), 12),
])
def test_split_sizes_follow_scikit_learn_without_stratify(test_size, n_test):
    X, y, *_ = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, stratify=False)
    assert (len(X_test), len(y_test), len(X_train), len(y_train)) == (n_test, n_test,
                                                                      150 - n_test, 150 - n_test)


@pytest.mark.parametrize("test_size, n_test", [(7, 7), (0.02, 3), (0.2, 30), (10, 10),
                                               (0.9, 135), (144, 144), (np.float64(0.3), 45)])
def test_stratified_split_gives_the_exact_count_and_every_class_both_sides(test_size, n_test):
    X, y, *_ = load_iris()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=4)
    assert len(X_test) == len(y_test) == n_test
    assert len(X_train) == len(y_train) == 150 - n_test
    counts = y_test.bincount(minlength=3)
    assert counts.min() >= 1 and y_train.bincount(minlength=3).min() >= 1
    assert counts.max() - counts.min() <= 1  # equal classes: shares differ by one row at most


def test_stratified_split_of_unequal_classes_keeps_proportions():
    X, y = labels([60, 30, 10])
    _, _, _, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    assert y_test.bincount().tolist() == [15, 8, 2]  # 15, 7.5, 2.5 -> exactly 25 rows


def test_a_small_fraction_is_rounded_up_not_to_zero():
    X, y = labels([1, 1])
    X_train, X_test, _, _ = train_test_split(X, y, test_size=0.001, stratify=False)
    assert (len(X_train), len(X_test)) == (1, 1)


@pytest.mark.parametrize("test_size, side", [(0.995, "training"), (150, "training"),
                                             (0.9999, "training")])
def test_split_refuses_an_empty_training_set(test_size, side):
    X, y, *_ = load_iris()
    with pytest.raises(ValueError, match=rf"leaves the {side} set empty"):
        train_test_split(X, y, test_size=test_size, stratify=False)


def test_split_refuses_a_single_row():
    X, y = labels([1])
    with pytest.raises(ValueError, match=r"needs at least 2 rows, got 1"):
        train_test_split(X, y, test_size=0.5, stratify=False)


def test_stratified_split_refuses_a_class_with_one_member():
    # it used to leave class 2 out of the training set, silently
    X, y = labels([5, 5, 1])
    with pytest.raises(ValueError, match=r"class 2 has only 1 row: stratify=True needs at least "
                                         r"2 rows of every class.*stratify=False"):
        train_test_split(X, y, test_size=0.3)


@pytest.mark.parametrize("test_size, side", [(2, "test"), (0.01, "test"), (148, "training")])
def test_stratified_split_needs_a_row_of_every_class_on_each_side(test_size, side):
    # as scikit-learn: 0.01 of 150 rows is 2 test rows, too few for 3 classes
    X, y = labels([50, 50, 50])
    with pytest.raises(ValueError, match=rf"the {side} set would have 2 rows for 3 classes"):
        train_test_split(X, y, test_size=test_size)


@pytest.mark.parametrize("data", ["numpy", "list"])
def test_split_says_how_to_convert_arrays(data):
    X, y, *_ = load_iris()
    X_bad = X.numpy() if data == "numpy" else X.tolist()
    hint = r"numpy.ndarray \(use torch.as_tensor\)" if data == "numpy" else r"list \(use torch"
    with pytest.raises(TypeError, match=r"train_test_split expected a torch.Tensor as X, got "
                                        + hint):
        train_test_split(X_bad, y)


@pytest.mark.parametrize("value", [0.1, 1e5 + 0.3, -7.7, 1e-30])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_standardizer_maps_a_constant_column_to_zero(value, dtype):
    # the std of a constant column is a rounding residue (~1e-8 for 0.1 in float32) that
    # passed `std > 0`: the column became +-1
    X = torch.stack([torch.linspace(0, 1, 150), torch.full((150,), value)], 1).to(dtype)
    s = Standardizer().fit(X)
    Z = s.transform(X)
    assert torch.equal(Z[:, 1], torch.zeros(150, dtype=dtype)) and Z.dtype == dtype
    assert s.std[1] == 1 and s.mean.dtype == s.std.dtype == dtype


def test_standardizer_keeps_a_column_with_a_small_but_real_spread():
    X = torch.tensor([[1000.0, 0.0], [1000.01, 1e-6], [999.99, 2e-6]], dtype=torch.float64)
    Z = Standardizer().fit_transform(X)
    assert torch.allclose(Z.std(0, correction=0), torch.ones(2, dtype=torch.float64), rtol=1e-7)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_standardizer_refuses_nan_and_inf_naming_the_column(bad):
    X = torch.rand(6, 4)
    X[3, 2] = bad
    with pytest.raises(ValueError, match=r"Standardizer.fit got nan or inf in column 2 "
                                         r"\(of 0..3\)"):
        Standardizer().fit(X)


def test_standardizer_says_how_to_convert_arrays():
    with pytest.raises(TypeError, match=r"expected a torch.Tensor as X, got numpy.ndarray "
                                        r"\(use torch.as_tensor\)"):
        Standardizer().fit(np.ones((3, 2)))
    s = Standardizer().fit(torch.rand(3, 2))
    with pytest.raises(TypeError, match=r"got list \(use torch.tensor\)"):
        s.transform([[1.0, 2.0]])


# ---------------------------------------------------------------- issue 8: line endings

def test_load_iris_accepts_windows_line_endings(tmp_path):
    # git's autocrlf on Windows writes CRLF: same data, different bytes, different hash
    crlf = tmp_path / "iris.csv"
    crlf.write_bytes(IRIS_PATH.read_bytes().replace(b"\n", b"\r\n"))
    X, y, *_ = load_iris(crlf)
    X_ref, y_ref, *_ = load_iris()
    assert torch.equal(X, X_ref) and torch.equal(y, y_ref)


def test_load_iris_refuses_an_edit_even_with_windows_line_endings(tmp_path):
    edited = tmp_path / "iris.csv"
    text = IRIS_PATH.read_bytes().replace(b"5.1,3.5,1.4,0.2", b"5.1,3.5,1.4,0.3", 1)
    edited.write_bytes(text.replace(b"\n", b"\r\n"))
    with pytest.raises(ValueError, match=r"its content was edited or corrupted \(line endings "
                                         r"aside\).*rm .*iris.csv && git checkout -- "
                                         r"data/iris.csv"):
        load_iris(edited)


def test_gitattributes_keep_the_data_file_byte_exact():
    root = IRIS_PATH.parent.parent
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "check-attr", "text", "--", "data/iris.csv"], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "data/iris.csv: text: unset"  # -text: never convert line endings
    assert b"\r" not in IRIS_PATH.read_bytes()


def test_train_val_test_split_sizes_stratified_and_reproducible():
    from course_utils.data import train_val_test_split
    X, y, _, _ = load_iris()
    parts = train_val_test_split(X, y, val_size=30, test_size=0.2, seed=4)
    X_train, X_val, X_test, y_train, y_val, y_test = parts
    assert [len(X_train), len(X_val), len(X_test)] == [90, 30, 30]
    assert [len(y_train), len(y_val), len(y_test)] == [90, 30, 30]
    for part in (y_train, y_val, y_test):
        counts = torch.bincount(part, minlength=3)
        assert counts.max() - counts.min() == 0
    rows = {tuple(r) for r in torch.cat([X_train, X_val, X_test]).tolist()}
    assert rows == {tuple(r) for r in X.tolist()}  # every distinct flower lands somewhere
    again = train_val_test_split(X, y, val_size=30, test_size=0.2, seed=4)
    assert all(torch.equal(a, b) for a, b in zip(parts, again, strict=True))


def test_train_val_test_split_refuses_sizes_that_leave_no_training_rows():
    from course_utils.data import train_val_test_split
    X, y, _, _ = load_iris()
    with pytest.raises(ValueError, match="leave no training rows"):
        train_val_test_split(X, y, val_size=75, test_size=75)


@pytest.mark.parametrize("seed", [0.5, "1", True, None])
def test_splits_refuse_a_seed_that_is_not_an_int(seed):
    from course_utils.data import train_val_test_split
    X, y, _, _ = load_iris()
    with pytest.raises(ValueError, match=r"train_val_test_split expected seed as an int"):
        train_val_test_split(X, y, val_size=30, test_size=30, seed=seed)
    with pytest.raises(ValueError, match=r"train_test_split expected seed as an int"):
        train_test_split(X, y, test_size=30, seed=seed)
    train_test_split(X, y, test_size=30, seed=np.int64(3))  # numpy ints are ints
