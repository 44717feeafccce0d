"""Tests for course_utils.checkpoint: save, load, resume bit-identically, refuse code."""

import pytest
import torch

from course_utils.checkpoint import load_checkpoint, save_checkpoint
from course_utils.layers import Dropout, Linear, ReLU, Sequential
from course_utils.losses import CrossEntropyLoss
from course_utils.optim import SGD, Adam
from course_utils.training import fit


def blobs(n=60, seed=0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.cat([torch.randn(n // 2, 2, generator=gen) + 1.5,
                   torch.randn(n // 2, 2, generator=gen) - 1.5])
    return X, torch.cat([torch.zeros(n // 2), torch.ones(n // 2)]).long()


def model_and_optimizer(seed=0):
    torch.manual_seed(seed)
    model = Sequential(Linear(2, 16), ReLU(), Dropout(0.3), Linear(16, 2))
    return model, Adam(model.parameters(), lr=0.01)


def test_save_and_load_round_trip(tmp_path):
    model, opt = model_and_optimizer(seed=0)
    X, y = blobs()
    fit(model, CrossEntropyLoss(), opt, X, y, epochs=2, batch_size=16)
    save_checkpoint(tmp_path / "run.pt", model, opt, epoch=2)
    other, other_opt = model_and_optimizer(seed=1)
    assert load_checkpoint(tmp_path / "run.pt", other, other_opt) == 2
    for (name, p), q in zip(model.named_parameters(), other.parameters(), strict=True):
        assert torch.equal(p.data, q.data), name
    assert other_opt.state[0]["step"] == opt.state[0]["step"] == 8
    assert not (tmp_path / "run.pt.partial").exists()


def test_training_resumed_from_a_checkpoint_is_bit_identical(tmp_path):
    # Dropout draws from torch's global generator: the checkpoint carries its state too
    X, y = blobs()
    straight, opt = model_and_optimizer()
    torch.manual_seed(42)
    history = fit(straight, CrossEntropyLoss(), opt, X, y, epochs=5, batch_size=16,
                  val=blobs(seed=1), seed=3)

    first, first_opt = model_and_optimizer()
    torch.manual_seed(42)
    fit(first, CrossEntropyLoss(), first_opt, X, y, epochs=2, batch_size=16,
        val=blobs(seed=1), seed=3)
    save_checkpoint(tmp_path / "epoch2.pt", first, first_opt, epoch=2)
    torch.manual_seed(0)  # a new session: another random state

    resumed, resumed_opt = model_and_optimizer(seed=7)
    epoch = load_checkpoint(tmp_path / "epoch2.pt", resumed, resumed_opt)
    tail = fit(resumed, CrossEntropyLoss(), resumed_opt, X, y, epochs=5, batch_size=16,
               val=blobs(seed=1), seed=3, start_epoch=epoch)
    for p, q in zip(straight.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(p.data, q.data)
    assert tail == {k: v[2:] for k, v in history.items()}


class RunsCode:
    """A pickle payload: unpickling it calls exec, which writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        code = f"with open({self.marker!r}, 'w') as f:\n    f.write('the pickle ran code')"
        return exec, (code,)


def test_a_checkpoint_carrying_code_is_refused_without_running_it(tmp_path):
    model, opt = model_and_optimizer()
    marker = tmp_path / "marker.txt"
    evil = tmp_path / "evil.pt"
    torch.save({"format": "course_utils checkpoint 1", "epoch": 1, "model": RunsCode(marker),
                "optimizer": None, "torch_rng_state": torch.get_rng_state()}, evil)
    before = [p.data.clone() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"load_checkpoint refused .*evil.pt: it holds Python "
                                         r"objects other than tensors.*could run code"):
        load_checkpoint(evil, model, opt)
    assert not marker.exists()
    assert all(torch.equal(p.data, b) for p, b in zip(model.parameters(), before, strict=True))
    # the payload is live: a plain pickle load (weights_only=False) does run it
    torch.load(evil, weights_only=False)
    assert marker.read_text() == "the pickle ran code"


def test_a_bare_state_dict_is_not_a_checkpoint(tmp_path):
    model, _ = model_and_optimizer()
    torch.save(model.state_dict(), tmp_path / "weights.pt")
    with pytest.raises(ValueError, match=r"is not a file written by save_checkpoint .*"
                                         r"model.load_state_dict\(torch.load"):
        load_checkpoint(tmp_path / "weights.pt", model)


def test_asking_for_optimizer_state_that_was_not_saved(tmp_path):
    model, opt = model_and_optimizer()
    save_checkpoint(tmp_path / "model.pt", model)
    with pytest.raises(ValueError, match="holds no optimizer state"):
        load_checkpoint(tmp_path / "model.pt", model, opt)
    assert load_checkpoint(tmp_path / "model.pt", model) is None


def test_a_mismatch_changes_nothing(tmp_path):
    model, opt = model_and_optimizer()
    fit(model, CrossEntropyLoss(), opt, *blobs(), epochs=1, batch_size=16)
    save_checkpoint(tmp_path / "adam.pt", model, opt, epoch=1)
    other, _ = model_and_optimizer(seed=1)
    sgd = SGD(other.parameters(), lr=0.1, momentum=0.9)  # another optimizer: state differs
    before = [p.data.clone() for p in other.parameters()]
    with pytest.raises(ValueError, match=r"SGD.load_state_dict"):
        load_checkpoint(tmp_path / "adam.pt", other, sgd)
    assert all(torch.equal(p.data, b) for p, b in zip(other.parameters(), before, strict=True))
    wider = Sequential(Linear(2, 8), ReLU(), Linear(8, 2))
    with pytest.raises(RuntimeError, match=r"'0.weight' expected shape \(8, 2\), got \(16, 2\)"):
        load_checkpoint(tmp_path / "adam.pt", wider)


def test_a_torch_nn_model_can_be_checkpointed_too(tmp_path):
    # The course's SGD on torch.nn parameters: constructing a torch.optim optimizer imports
    # torch._dynamo (about 2 s, once per process), too slow for a unit test. load_checkpoint
    # needs only state_dict() / load_state_dict(), which both kinds of optimizer have.
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 2)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 2)).sum().backward()
    opt.step()
    save_checkpoint(tmp_path / "torch.pt", model, opt, epoch=1)
    other = torch.nn.Linear(2, 2)
    other_opt = SGD(other.parameters(), lr=0.1, momentum=0.9)
    assert load_checkpoint(tmp_path / "torch.pt", other, other_opt) == 1
    assert torch.equal(other.weight, model.weight) and torch.equal(other.bias, model.bias)
    saved, loaded = opt.state_dict()["state"], other_opt.state_dict()["state"]
    assert saved.keys() == loaded.keys() and saved  # the momentum buffers came back
    assert all(torch.equal(saved[k][name], loaded[k][name]) for k in saved for name in saved[k])


@pytest.mark.parametrize("epoch", [-1, 1.5, "3", True])
def test_save_refuses_a_bad_epoch(tmp_path, epoch):
    model, _ = model_and_optimizer()
    with pytest.raises(ValueError, match="epoch as an int >= 0"):
        save_checkpoint(tmp_path / "x.pt", model, epoch=epoch)


def test_load_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="load_checkpoint: no file at"):
        load_checkpoint(tmp_path / "nothing.pt", model_and_optimizer()[0])


@pytest.mark.parametrize("start_epoch", [5, -1, 1.0])
def test_fit_refuses_a_start_epoch_outside_the_run(start_epoch):
    model, opt = model_and_optimizer()
    with pytest.raises(ValueError, match=r"start_epoch in 0..4"):
        fit(model, CrossEntropyLoss(), opt, *blobs(), epochs=5, batch_size=16,
            start_epoch=start_epoch)
