"""Tests for course_utils.lr_finder: the learning-rate range test."""

import numpy as np
import pytest
import torch

from course_utils.layers import Dropout, Linear, ReLU, Sequential
from course_utils.losses import CrossEntropyLoss
from course_utils.lr_finder import lr_find
from course_utils.optim import SGD
from course_utils.training import lr_find as lr_find_from_training


def blobs(n_per_class=40, seed=0):
    """Two Gaussian clouds centred at (1.5, 1.5) and (-1.5, -1.5): linearly separable."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.cat([torch.randn(n_per_class, 2, generator=gen) + 1.5,
                   torch.randn(n_per_class, 2, generator=gen) - 1.5])
    return X, torch.cat([torch.zeros(n_per_class), torch.ones(n_per_class)]).long()


def small_mlp(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return Sequential(Linear(2, 8), ReLU(), Dropout(dropout), Linear(8, 2))


def test_lr_find_is_still_importable_from_training():
    assert lr_find_from_training is lr_find


def test_lr_find_grows_lr_geometrically_and_stops_on_the_explosion():
    X, y = blobs()
    model = small_mlp()
    optimizer = SGD(model.parameters(), lr=0.1)
    lrs, losses = lr_find(model, CrossEntropyLoss(), optimizer, X, y, batch_size=16,
                                   lr_min=1e-3, lr_max=1e3, num_steps=60)
    assert len(lrs) == len(losses) < 60  # stopped before the end: lr 1e3 explodes
    ratios = np.array(lrs[1:]) / np.array(lrs[:-1])
    np.testing.assert_allclose(ratios, (1e6) ** (1 / 59), rtol=1e-12)
    assert lrs[0] == 1e-3
    last = losses[-1]
    assert not np.isfinite(last) or last > 4 * min(losses)
    assert all(np.isfinite(v) and v <= 4 * min(losses[:i + 1]) for i, v in enumerate(losses[:-1]))


def test_lr_find_restores_model_and_optimizer():
    X, y = blobs()
    model = small_mlp()
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    lr_find(model, CrossEntropyLoss(), optimizer, X, y, batch_size=16, num_steps=20)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert optimizer.lr == 0.1 and optimizer.state_dict()["state"] == {}


def test_lr_find_without_restore_keeps_the_trained_model():
    X, y = blobs()
    model = small_mlp()
    w = model[0].weight.data.clone()
    lr_find(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y,
                     batch_size=16, num_steps=10, restore=False)
    assert not torch.equal(model[0].weight.data, w)


def test_lr_find_stops_when_the_loss_becomes_nan_after_some_steps():
    X, y = blobs()
    model = small_mlp()
    opt = SGD(model.parameters(), lr=0.1)
    lrs, losses = lr_find(model, CrossEntropyLoss(), opt, X, y, batch_size=80, lr_min=1e-2,
                          lr_max=1e30, num_steps=40, stop_factor=1e300)
    assert len(losses) > 1 and not np.isfinite(losses[-1])
    assert all(np.isfinite(losses[:-1]))


def test_lr_find_refuses_a_nan_loss_on_the_first_step():
    X, y = blobs()
    X = X.clone()
    X[5] = float("nan")
    model = small_mlp()
    with pytest.raises(ValueError, match="the loss is nan on the first step.*check X and y"):
        lr_find(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, batch_size=80)


@pytest.mark.parametrize("mode", [True, False])
def test_lr_find_restores_the_train_or_eval_mode(mode):
    X, y = blobs()
    model = small_mlp(dropout=0.5).train(mode)
    lr_find(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, 16, num_steps=5)
    assert model.training is mode and model[2].training is mode


def test_lr_find_rejects_bad_arguments():
    X, y = blobs()
    model = small_mlp()
    opt = SGD(model.parameters(), lr=0.1)
    for lr_min, lr_max in ((1.0, 0.1), (1e-4, float("inf")), (float("nan"), 1.0), (0.0, 1.0)):
        with pytest.raises(ValueError, match="finite 0 < lr_min < lr_max"):
            lr_find(model, CrossEntropyLoss(), opt, X, y, 16, lr_min=lr_min, lr_max=lr_max)
    with pytest.raises(ValueError, match="stop_factor > 1"):
        lr_find(model, CrossEntropyLoss(), opt, X, y, 16, stop_factor=1.0)
    with pytest.raises(TypeError, match="optimizer with an lr attribute"):
        lr_find(model, CrossEntropyLoss(), object(), X, y, 16)
