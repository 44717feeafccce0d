"""Tests for course_utils.training: mini-batches, accuracy, and the fit loop."""

import numpy as np
import pytest
import torch

from course_utils import training
from course_utils.layers import Dropout, Linear, Module, ReLU, Sequential
from course_utils.losses import CrossEntropyLoss, MSELoss, NLLLoss
from course_utils.optim import SGD
from course_utils.training import accuracy, fit, iterate_minibatches


def rows_and_labels(n=10):
    """X (n, 2) whose first column numbers the rows, y (n,) = 3 * row: pairs can be traced."""
    X = torch.stack([torch.arange(n, dtype=torch.float32), torch.ones(n)], dim=1)
    return X, 3 * torch.arange(n)


def blobs(n_per_class=40, seed=0):
    """Two Gaussian clouds centred at (1.5, 1.5) and (-1.5, -1.5): linearly separable."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.cat([torch.randn(n_per_class, 2, generator=gen) + 1.5,
                   torch.randn(n_per_class, 2, generator=gen) - 1.5])
    y = torch.cat([torch.zeros(n_per_class), torch.ones(n_per_class)]).long()
    return X, y


def small_mlp(seed=0, dropout=0.0):
    torch.manual_seed(seed)
    return Sequential(Linear(2, 8), ReLU(), Dropout(dropout), Linear(8, 2))


def order_of(batches):
    return torch.cat([X_batch[:, 0] for X_batch, _ in batches]).long()


@pytest.mark.parametrize("shuffle", [True, False])
def test_minibatches_cover_every_row_once_and_keep_pairs(shuffle):
    X, y = rows_and_labels(10)
    batches = list(iterate_minibatches(X, y, batch_size=3, shuffle=shuffle, seed=5))
    assert [len(X_batch) for X_batch, _ in batches] == [3, 3, 3, 1]
    for X_batch, y_batch in batches:
        assert torch.equal(y_batch, 3 * X_batch[:, 0].long())
    order = order_of(batches)
    assert torch.equal(order.sort().values, torch.arange(10))
    assert torch.equal(order, torch.arange(10)) != shuffle


def test_minibatches_reproducible_with_a_seed_and_global_rng_untouched():
    X, y = rows_and_labels(50)
    state = torch.get_rng_state()
    first = order_of(iterate_minibatches(X, y, 8, seed=3))
    again = order_of(iterate_minibatches(X, y, 8, seed=3))
    other = order_of(iterate_minibatches(X, y, 8, seed=4))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert torch.equal(torch.get_rng_state(), state)


def test_a_batch_size_larger_than_N_gives_one_batch_of_every_row():
    X, y = rows_and_labels(5)
    (X_batch, y_batch), = list(iterate_minibatches(X, y, batch_size=100, seed=1))
    assert torch.equal(X_batch[:, 0].sort().values, X[:, 0]) and len(y_batch) == 5


def test_minibatches_reject_bad_input():
    X, y = rows_and_labels(10)
    with pytest.raises(ValueError, match=r"same number of rows N >= 1, got X \(10, 2\) and y "
                                         r"\(9,\)"):
        next(iterate_minibatches(X, y[:9], 4))
    with pytest.raises(ValueError, match="batch_size expected a positive int, got 0"):
        next(iterate_minibatches(X, y, 0))
    with pytest.raises(TypeError, match=r"expected a torch.Tensor as y, got list"):
        next(iterate_minibatches(X, [0] * 10, 4))


def test_accuracy_hand_case():
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 0.5], [0.0, 0.0, 1.0]])
    y = torch.tensor([0, 1, 2, 2])  # predictions 0, 1, 0, 2: three of four right
    assert accuracy(logits, y) == 0.75
    assert accuracy(logits.log_softmax(1), y) == 0.75
    assert accuracy(torch.tensor([0, 1, 1, 1]), y) == 0.5


def test_accuracy_ties_go_to_the_lowest_class():
    logits = torch.tensor([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0]])  # argmax 0, then 1
    assert accuracy(logits, torch.tensor([0, 1])) == 1.0
    assert accuracy(logits, torch.tensor([1, 2])) == 0.0


@pytest.mark.parametrize("y, got", [([0, 1, 3], "from 0 to 3"), ([-1, 1, 2], "from -1 to 2")])
def test_accuracy_rejects_labels_the_scores_cannot_predict(y, got):
    # such a label can never be right: it would silently count as a mistake
    with pytest.raises(ValueError, match=r"accuracy expected labels in \[0, 2\] for 3 columns "
                                         "of scores, got values " + got):
        accuracy(torch.randn(3, 3), torch.tensor(y))


def test_accuracy_rejects_nan_scores():
    # argmax treats nan as the largest value: the nan column would count as predicted
    with pytest.raises(ValueError, match="accuracy got nan scores"):
        accuracy(torch.tensor([[float("nan"), 0.0], [1.0, 0.0]]), torch.tensor([0, 0]))


def test_accuracy_rejects_bad_shapes():
    y = torch.tensor([0, 1, 2])
    with pytest.raises(ValueError, match=r"expected 3 predictions for 3 labels .* got input of "
                                         r"shape \(4, 3\)"):
        accuracy(torch.zeros(4, 3), y)
    with pytest.raises(ValueError, match=r"C >= 2 .* got \(3, 1\)"):
        accuracy(torch.zeros(3, 1), y)
    with pytest.raises(ValueError, match=r"got \(3,\) torch.float32"):
        accuracy(torch.zeros(3), y)
    with pytest.raises(ValueError, match=r"y as \(N,\) integer class ids, got \(3,\) "
                                         "torch.float32"):
        accuracy(torch.zeros(3, 2), y.float())


def test_fit_learns_a_separable_problem():
    X, y = blobs()
    model = small_mlp()
    loss_fn = CrossEntropyLoss()
    initial = loss_fn(model(X), y).item()
    history = fit(model, loss_fn, SGD(model.parameters(), lr=0.1, momentum=0.9), X, y,
                  epochs=8, batch_size=16, val=blobs(seed=1))
    assert sorted(history) == ["acc", "loss", "val_acc", "val_loss"]
    assert all(len(values) == 8 for values in history.values())
    assert history["loss"][-1] < 0.2 * initial
    assert history["acc"][-1] == 1.0 and history["val_acc"][-1] >= 0.95


def test_fit_evaluates_in_eval_mode_and_is_reproducible():
    X, y = blobs()
    runs = []
    for seed in (0, 0, 1):
        model = small_mlp(dropout=0.5)
        history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05), X, y,
                      epochs=3, batch_size=20, val=(X, y), seed=seed)
        runs.append(history)
    assert not model.training
    # Dropout is off in eval mode: evaluating the final model again gives the same value
    assert CrossEntropyLoss()(model(X), y).item() == history["val_loss"][-1]
    assert runs[0] == runs[1]
    assert runs[0]["loss"] != runs[2]["loss"]


def test_fit_without_class_labels_records_only_the_loss():
    X, _ = blobs()
    target = X.sum(1, keepdim=True)  # (N, 1) regression target
    torch.manual_seed(0)
    model = Linear(2, 1)
    history = fit(model, MSELoss(), SGD(model.parameters(), lr=0.05), X, target, 5, 16)
    assert list(history) == ["loss"] and history["loss"][-1] < 0.1 * history["loss"][0]


class NanAfter(CrossEntropyLoss):
    """Cross-entropy that returns nan from its call number `calls` on."""

    def __init__(self, calls):
        super().__init__()
        self.calls, self.count = calls, 0

    def forward(self, input, target):
        self.count += 1
        loss = super().forward(input, target)
        return loss * float("nan") if self.count >= self.calls else loss


def test_fit_names_the_epoch_and_batch_where_the_loss_became_nan():
    X, y = blobs()  # 80 rows in batches of 32: 3 batches per epoch, call 7 = epoch 3, batch 1
    model = small_mlp()
    with pytest.raises(FloatingPointError, match=r"loss became nan at epoch 3/5, batch 1: .*"
                                                 "smaller learning rate"):
        fit(model, NanAfter(7), SGD(model.parameters(), lr=0.1), X, y, 5, 32)


def test_fit_diverging_with_a_huge_lr_raises():
    X, y = blobs()
    model = small_mlp()
    with pytest.raises(FloatingPointError, match=r"at epoch \d+/20, batch \d+: .*lr=1e\+20"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=1e20), X, y, 20, 16)


def test_fit_names_the_epoch_when_the_validation_loss_is_nan():
    X, y = blobs()
    X_val = X[:10].clone()
    X_val[3, 0] = float("nan")
    model = small_mlp()
    with pytest.raises(FloatingPointError, match=r"validation loss became nan after epoch 1 "):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, 3, 16,
            val=(X_val, y[:10]))


def test_fit_rejects_bad_arguments():
    X, y = blobs()
    model = small_mlp()
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"fit expected X and y with the same number of rows"):
        fit(model, CrossEntropyLoss(), opt, X, y[:-1], 1, 16)
    with pytest.raises(ValueError, match=r"fit \(val\) expected X and y with the same number"):
        fit(model, CrossEntropyLoss(), opt, X, y, 1, 16, val=(X, y[:5]))
    with pytest.raises(TypeError, match=r"val=\(X_val, y_val\), got Tensor"):
        fit(model, CrossEntropyLoss(), opt, X, y, 1, 16, val=X)
    with pytest.raises(ValueError, match="fit epochs expected a positive int, got 0"):
        fit(model, CrossEntropyLoss(), opt, X, y, 0, 16)
    with pytest.raises(ValueError, match=r"Linear expected input of shape \(N, 2\), got \(16, 3\)"):
        fit(model, CrossEntropyLoss(), opt, torch.zeros(80, 3), y, 1, 16)


# ---------------------------------------------------------------- issue 8: fit as fast as torch

def test_fit_skips_dX_of_the_first_layer():
    # dX of the first layer is the gradient with respect to the data: nobody uses it, and it
    # costs a matmul as large as the first layer's forward (autograd skips it too)
    X, y = blobs()
    model = small_mlp()
    calls = []
    first_backward = model[0].backward

    def spy(grad_output, input_grad=True):
        calls.append(input_grad)
        return first_backward(grad_output, input_grad=input_grad)

    model[0].backward = spy
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=2,
        batch_size=32)
    assert calls == [False] * 6


def test_fit_trains_a_model_whose_backward_has_no_input_grad_argument():
    class Wrapped(Module):
        def __init__(self):
            super().__init__()
            self.net = small_mlp()

        def forward(self, X):
            return self.net(X)

        def backward(self, grad_output):
            return self.net.backward(grad_output)

    X, y = blobs()
    model = Wrapped()
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, 3, 16)
    assert history["loss"][-1] < history["loss"][0]


def test_fit_validates_the_labels_once_per_call_not_once_per_epoch(monkeypatch):
    calls = []
    monkeypatch.setattr(training, "_check_scores", lambda *a: calls.append(1))
    X, y = blobs()  # 80 rows, batch 8: 10 batches per epoch
    model = small_mlp()
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=3,
        batch_size=8, val=(X, y))
    assert len(calls) == 1 + 1  # the first training batch and the first validation pass


class NanColumn(Module):
    """Scores (N, 3) with nan in column 2 from call `calls` on: NLLLoss never reads it."""

    def __init__(self, calls):
        super().__init__()
        self.fc, self.calls, self.count = Linear(2, 3), calls, 0

    def forward(self, X):
        self.count += 1
        out = self.fc(X)
        return out.index_fill(1, torch.tensor([2]), float("nan")) if self.count >= self.calls \
            else out

    def backward(self, grad_output, input_grad=True):
        return self.fc.backward(grad_output, input_grad=input_grad)


def test_fit_still_catches_nan_scores_on_any_batch():
    # the loss stays finite (no label is 2), so only the accuracy check can see the nan
    X, y = blobs()
    model = NanColumn(calls=3)
    with pytest.raises(ValueError, match="accuracy got nan scores"):
        fit(model, NLLLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=1, batch_size=16)


def test_fit_accuracy_is_the_exact_fraction_of_correct_rows():
    X, y = blobs()
    model = small_mlp()
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.0), X, y, 1, 16)
    assert history["acc"] == [(model(X).argmax(1) == y).sum().item() / 80]


@pytest.mark.parametrize("where", ["X", "y"])
def test_fit_says_how_to_convert_numpy_arrays(where):
    X, y = blobs()
    model = small_mlp()
    args = (X.numpy(), y) if where == "X" else (X, y.numpy())
    with pytest.raises(TypeError, match=rf"fit expected a torch.Tensor as {where}, got "
                                        r"numpy.ndarray \(use torch.as_tensor\)"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), *args, 1, 16)
    with pytest.raises(TypeError, match=r"accuracy expected a torch.Tensor as y, got "
                                        r"numpy.ndarray"):
        accuracy(torch.zeros(3, 2), np.zeros(3, dtype=np.int64))


def test_fit_accepts_numpy_integers_for_epochs_and_batch_size():
    X, y = blobs()
    model = small_mlp()
    history = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y,
                  np.int64(2), np.int32(16))
    assert len(history["loss"]) == 2


# ---- fit's on_step hook (lr_find: tests/test_lr_finder.py) ----

def test_fit_calls_on_step_after_every_step():
    X, y = blobs()
    model = small_mlp()
    calls = []
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=3, batch_size=32,
        on_step=lambda: calls.append(model[0].weight.data.clone()))
    assert len(calls) == 3 * 3  # 80 rows in batches of 32: 3 batches per epoch
    assert not torch.equal(calls[0], calls[1])
    with pytest.raises(TypeError, match="on_step as a callable"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, 1, 32, on_step=3)
    with pytest.raises(TypeError, match=r"such as UpdateRatios\(model\), got the class"):
        from course_utils.evaluation import UpdateRatios
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, 1, 32,
            on_step=UpdateRatios)


def test_a_resumed_fit_checks_the_labels_on_its_first_epoch(monkeypatch):
    calls = []
    monkeypatch.setattr(training, "_check_scores", lambda *a: calls.append(1))
    X, y = blobs()
    model = small_mlp()
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=4,
        batch_size=8, start_epoch=2)
    assert len(calls) == 1
