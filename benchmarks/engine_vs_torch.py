"""Time the from-scratch engine against torch.nn + autograd + torch.optim.

(a), (b): one step = zero the gradients, forward, cross-entropy loss, backward,
SGD with momentum. (c): a whole ``fit`` call (2 epochs of shuffled mini-batches,
``.item()`` of each loss, per-batch accuracy) against the same loop written by
hand in torch. Both sides start from the same weights (our state dict loaded into
torch.nn) and the script first checks that one step of each gives the same
parameters, so the two timings measure the same work. The steps are then
timed interleaved (ours, torch, torch, ours, ...) so that a change in machine
load hits both, and the medians over many repeats are compared:

    ratio = median(ours) / median(torch)   (below 1: the engine is faster)

For (c) one repeat is one whole training run, and the check compares the
parameters after one run of each (same weights, same batches).

Run: .venv/bin/python benchmarks/engine_vs_torch.py [--threads 1] [--scale 1.0]
"""

import argparse
import statistics
import time

import torch

from course_utils.data import Standardizer, load_iris, train_test_split
from course_utils.layers import Linear, ReLU, Sequential
from course_utils.losses import CrossEntropyLoss
from course_utils.optim import SGD
from course_utils.training import fit

LR, MOMENTUM = 0.05, 0.9


def build_pair(sizes, seed=0):
    """Our MLP Linear -> ReLU -> ... -> Linear and a torch.nn copy with the same weights."""
    torch.manual_seed(seed)
    layers, torch_layers = [], []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [Linear(d_in, d_out), ReLU()]
        torch_layers += [torch.nn.Linear(d_in, d_out), torch.nn.ReLU()]
    ours, theirs = Sequential(*layers[:-1]), torch.nn.Sequential(*torch_layers[:-1])
    theirs.load_state_dict(ours.state_dict())
    return ours, theirs


def our_step_fn(model, X, y):
    """A closure running one engine step; dX of the first layer is skipped, as autograd does."""
    loss_fn, opt = CrossEntropyLoss(), SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        model.backward(loss_fn.backward(), input_grad=False)
        opt.step()
        return loss

    return step


def torch_step_fn(model, X, y):
    """A closure running one torch.nn + autograd + torch.optim step (library defaults)."""
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        return loss

    return step


def check_same_step(ours, theirs, our_step, torch_step):
    """Assert one step of each gives the same loss and the same parameters (float32 rounding)."""
    loss_ours, loss_torch = our_step(), torch_step()
    torch.testing.assert_close(loss_ours, loss_torch.detach(), rtol=1e-5, atol=1e-6)
    theirs_sd = theirs.state_dict()
    for name, value in ours.state_dict().items():
        torch.testing.assert_close(value, theirs_sd[name], rtol=1e-5, atol=1e-6,
                                   msg=lambda m, name=name: f"{name} after one step: {m}")


def timed(step) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def interleaved_medians(our_step, torch_step, repeats: int, warmup: int) -> tuple:
    """Median seconds per step of each, alternating which one runs first every repeat."""
    for _ in range(warmup):
        our_step(), torch_step()
    ours, theirs = [], []
    for r in range(repeats):
        if r % 2 == 0:
            ours.append(timed(our_step))
            theirs.append(timed(torch_step))
        else:
            theirs.append(timed(torch_step))
            ours.append(timed(our_step))
    return statistics.median(ours), statistics.median(theirs)


def iris_data():
    """The standardised Iris training split: X (120, 4) float32, y (120,) int64."""
    X, y, _, _ = load_iris()
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, seed=0)
    return Standardizer().fit_transform(X_train), y_train


def random_data(n: int, d: int, classes: int, seed: int = 0):
    """MNIST-sized random batch: X (n, d) float32 in [0, 1), y (n,) int64 in [0, classes)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=gen), torch.randint(classes, (n,), generator=gen)


FIT_EPOCHS, FIT_BATCH = 2, 128


def epoch_orders(n: int, epochs: int, seed: int = 0):
    """The row order of each epoch, drawn as fit draws it (a seed per epoch from one generator)."""
    seeds = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        epoch_seed = int(torch.randint(2**62, (), generator=seeds))
        yield torch.randperm(n, generator=torch.Generator().manual_seed(epoch_seed))


def our_fit_fn(model, X, y):
    """A closure running course_utils.training.fit (2 epochs, batch 128)."""
    loss_fn, opt = CrossEntropyLoss(), SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def run():
        fit(model, loss_fn, opt, X, y, epochs=FIT_EPOCHS, batch_size=FIT_BATCH, seed=0)

    return run


def torch_fit_fn(model, X, y):
    """A closure running the same training loop written by hand in torch."""
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

    def run():
        history = {"loss": [], "acc": []}
        model.train()
        for order in epoch_orders(len(X), FIT_EPOCHS):
            total_loss, correct = 0.0, 0
            for start in range(0, len(X), FIT_BATCH):
                rows = order[start:start + FIT_BATCH]
                X_batch, y_batch = X[rows], y[rows]
                opt.zero_grad()
                logits = model(X_batch)
                loss = loss_fn(logits, y_batch)
                loss.backward()
                opt.step()
                total_loss += loss.item() * len(rows)
                correct += (logits.argmax(1) == y_batch).sum().item()
            history["loss"].append(total_loss / len(X))
            history["acc"].append(correct / len(X))
        model.eval()
        return history

    return run


def run_fit_case(title, sizes, X, y, repeats, warmup) -> float:
    """Check that one fit of each ends at the same parameters, then time whole runs."""
    ours, theirs = build_pair(sizes)
    our_run, torch_run = our_fit_fn(ours, X, y), torch_fit_fn(theirs, X, y)
    our_run(), torch_run()
    theirs_sd = theirs.state_dict()
    for name, value in ours.state_dict().items():
        torch.testing.assert_close(value, theirs_sd[name], rtol=1e-4, atol=1e-5,
                                   msg=lambda m, name=name: f"{name} after one fit: {m}")
    t_ours, t_torch = interleaved_medians(our_run, torch_run, repeats, warmup)
    return report(f"{title}: {FIT_EPOCHS} epochs of {len(X)} rows, batch {FIT_BATCH}",
                  repeats, t_ours, t_torch, "run")


def report(title, repeats, t_ours, t_torch, unit) -> float:
    """Print the medians and the ratio; return the ratio ours / torch."""
    ratio = t_ours / t_torch
    scale, prefix = (1e3, "ms") if unit == "run" else (1e6, "us")
    print(f"{title}, {repeats} repeats")
    print(f"  engine      {t_ours * scale:9.1f} {prefix}/{unit} (median)")
    print(f"  torch       {t_torch * scale:9.1f} {prefix}/{unit} (median)")
    verdict = "engine faster" if ratio <= 1 else "torch faster"
    print(f"  ratio ours/torch = {ratio:.2f}  ({verdict})")
    return ratio


def run_case(title, sizes, X, y, repeats, warmup) -> float:
    """Check equal work, time both steps, print the medians; return the ratio ours / torch."""
    ours, theirs = build_pair(sizes)
    our_step, torch_step = our_step_fn(ours, X, y), torch_step_fn(theirs, X, y)
    check_same_step(ours, theirs, our_step, torch_step)
    t_ours, t_torch = interleaved_medians(our_step, torch_step, repeats, warmup)
    return report(f"{title}: batch {X.shape[0]}", repeats, t_ours, t_torch, "step")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the repeat counts")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}")
    print("one step = zero_grad, forward, cross-entropy, backward, SGD(momentum=0.9)")
    print("one run = fit: shuffled batches, loss.item(), per-batch accuracy\n")
    start = time.perf_counter()
    X, y = iris_data()
    ratios = [run_case("(a) Iris 4-16-3", (4, 16, 3), X, y,
                       repeats=int(3000 * args.scale), warmup=200)]
    X, y = random_data(256, 784, 10)
    ratios.append(run_case("(b) MLP 784-256-10", (784, 256, 10), X, y,
                           repeats=int(300 * args.scale), warmup=20))
    X, y = random_data(4096, 784, 10, seed=1)
    ratios.append(run_fit_case("(c) fit 784-256-10", (784, 256, 10), X, y,
                               repeats=int(21 * args.scale), warmup=2))
    print(f"\nratios ours/torch: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"total {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
