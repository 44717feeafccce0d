"""Tests for course_utils.evaluation: confusion matrix, class summary, update ratios."""

import math

import pytest
import torch

from course_utils.evaluation import UpdateRatios, class_summary, confusion_matrix
from course_utils.layers import Linear, ReLU, Sequential
from course_utils.losses import CrossEntropyLoss
from course_utils.optim import SGD
from course_utils.training import fit


def test_confusion_matrix_hand_case_from_predictions_and_scores():
    y = torch.tensor([0, 0, 1, 2, 2, 2])
    preds = torch.tensor([0, 1, 1, 2, 0, 2])
    expected = torch.tensor([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert torch.equal(confusion_matrix(preds, y, 3), expected)
    scores = torch.nn.functional.one_hot(preds, 3).double()
    assert torch.equal(confusion_matrix(scores, y, 3), expected)
    assert confusion_matrix(preds, y, 3).trace() == 4


def test_confusion_matrix_rejects_bad_input():
    y = torch.tensor([0, 1, 2])
    with pytest.raises(ValueError, match=r"in \[0, 2\]"):
        confusion_matrix(torch.tensor([0, 1, 3]), y, 3)
    with pytest.raises(ValueError, match="integer class ids"):
        confusion_matrix(torch.tensor([0.0, 1.0, 2.0]), y, 3)
    with pytest.raises(ValueError, match=r"scores of shape \(N, 3\)"):
        confusion_matrix(torch.zeros(3, 4), y, 3)
    with pytest.raises(ValueError, match="as many predictions as labels"):
        confusion_matrix(torch.tensor([0, 1]), y, 3)
    with pytest.raises(TypeError, match="torch.Tensor"):
        confusion_matrix([0, 1, 2], y, 3)
    with pytest.raises(ValueError, match="nan scores"):
        confusion_matrix(torch.full((3, 3), float("nan")), y, 3)
    with pytest.raises(ValueError, match="predictions as \\(N,\\) integer class ids.*torch.bool"):
        confusion_matrix(torch.tensor([True, False, True]), y, 3)
    with pytest.raises(ValueError, match="y as \\(N,\\) integer class ids.*torch.bool"):
        confusion_matrix(torch.tensor([0, 1, 1]), torch.tensor([True, False, True]), 3)


def test_class_summary_matches_per_class_statistics():
    X = torch.tensor([[1.0, 2.0], [3.0, 2.0], [10.0, 0.0], [14.0, 4.0]], dtype=torch.float64)
    y = torch.tensor([0, 0, 1, 1])
    counts, means, stds = class_summary(X, y, 2)
    assert counts.tolist() == [2, 2]
    assert means.tolist() == [[2.0, 2.0], [12.0, 2.0]]
    assert torch.allclose(stds, torch.tensor([[2**0.5, 0.0], [8**0.5, 8**0.5]],
                                             dtype=torch.float64), rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="at least 2 rows of each class"):
        class_summary(X, torch.tensor([0, 0, 0, 1]), 2)
    with pytest.raises(ValueError, match="floating X"):
        class_summary(X.long(), y, 2)
    with pytest.raises(ValueError, match=r"y as \(N,\) integer class ids, got \(4,\) torch.float"):
        class_summary(X, y.float(), 2)
    with pytest.raises(ValueError, match=r"y in \[0, 1\] for num_classes=2, got values from -1"):
        class_summary(X, y - 1, 2)
    with pytest.raises(ValueError, match=r"in \[0, 1\] for num_classes=2, got values from 0 to 2"):
        class_summary(X, torch.tensor([0, 0, 1, 2]), 2)


def test_update_ratios_records_the_relative_step_of_each_weight():
    torch.manual_seed(0)
    model = Sequential(Linear(2, 4), ReLU(), Linear(4, 2)).to(torch.float64)
    X = torch.randn(20, 2, dtype=torch.float64)
    y = (X[:, 0] > 0).long()
    recorder = UpdateRatios(model)
    w0 = model[0].weight.data.clone()
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=2, batch_size=10,
        on_step=recorder)
    assert list(recorder.ratios) == ["0.weight", "2.weight"]
    assert all(len(v) == 4 for v in recorder.ratios.values())
    # the first recorded ratio, recomputed by hand: replay the first step
    torch.manual_seed(0)
    replay = Sequential(Linear(2, 4), ReLU(), Linear(4, 2)).to(torch.float64)
    assert torch.equal(replay[0].weight.data, w0)
    recorder2 = UpdateRatios(replay)
    fit(replay, CrossEntropyLoss(), SGD(replay.parameters(), lr=0.1), X, y, epochs=1,
        batch_size=20, on_step=recorder2)
    expected = ((replay[0].weight.data - w0).norm() / w0.norm()).item()
    assert recorder2.ratios["0.weight"][0] == pytest.approx(expected, rel=1e-12)


def test_update_ratios_needs_weights():
    class NoWeights:
        def named_parameters(self):
            return iter([])

    with pytest.raises(ValueError, match="no parameter named"):
        UpdateRatios(NoWeights())


def test_update_ratios_of_a_zero_weight_is_inf_not_a_made_up_number():
    model = Sequential(Linear(2, 2)).to(torch.float64)
    model[0].weight.data.zero_()
    moved = UpdateRatios(model)
    model[0].weight.data += 0.5
    moved()  # ||0.5|| / ||0||
    assert moved.ratios["0.weight"] == [float("inf")]
    model[0].weight.data.zero_()
    still = UpdateRatios(model)
    still()  # 0 / 0
    assert math.isnan(still.ratios["0.weight"][0])


def test_update_ratios_refuses_the_class_in_place_of_an_instance():
    with pytest.raises(TypeError, match="a model instance, got the class Sequential"):
        UpdateRatios(Sequential)
