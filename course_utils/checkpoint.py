"""Checkpoints: save a model, its optimizer and the epoch; load them to resume training.

A checkpoint is one file written by ``torch.save`` holding plain data only:

    {"format": "course_utils checkpoint 1", "epoch": 5,
     "model": model.state_dict(), "optimizer": optimizer.state_dict() or None,
     "torch_rng_state": torch.get_rng_state()}

The random state is there for Dropout: restored, the masks continue as if
training had never stopped, so ``fit(..., start_epoch=epoch)`` after
``load_checkpoint`` reproduces the uninterrupted run bit for bit.

Loading uses ``torch.load(weights_only=True)``: a pickle can carry code that
runs while it is read, and weights_only refuses anything but tensors and plain
containers, numbers and strings, before running it. Load only files you trust
anyway.
"""

import os
import pickle
from pathlib import Path

import torch

from course_utils._checks import is_integer, type_name

__all__ = ["load_checkpoint", "save_checkpoint"]

FORMAT = "course_utils checkpoint 1"


def save_checkpoint(path, model, optimizer=None, epoch: int | None = None) -> None:
    """Write model (and optimizer) state, the epoch and torch's random state to path.

    The file is written next to path and renamed into place, so an interrupted
    save leaves the previous checkpoint intact.

    Args:
        path: file to write (str or Path). model: course Module (or torch.nn.Module).
        optimizer: optional, with state_dict(). epoch: optional int >= 0, the epochs done.
    """
    if epoch is not None and (not is_integer(epoch) or epoch < 0):
        raise ValueError(f"save_checkpoint expected epoch as an int >= 0 (epochs done), "
                         f"got {epoch!r}")
    for name, obj in (("model", model), ("optimizer", optimizer)):
        if obj is not None and not callable(getattr(obj, "state_dict", None)):
            raise TypeError(f"save_checkpoint expected a {name} with .state_dict(), "
                            f"got {type_name(obj)}")
    checkpoint = {
        "format": FORMAT,
        "epoch": None if epoch is None else int(epoch),
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "torch_rng_state": torch.get_rng_state(),
    }
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    torch.save(checkpoint, partial)
    os.replace(partial, path)


def load_checkpoint(path, model, optimizer=None, restore_rng: bool = True) -> int | None:
    """Load a file written by save_checkpoint into model (and optimizer); return its epoch.

    Args:
        path: the checkpoint file. model: a model of the same architecture.
        optimizer: optional, built on model.parameters(); needs optimizer state in the file.
        restore_rng: set torch's global random state to the saved one (Dropout masks).
    Returns:
        the epoch passed to save_checkpoint (None if none was).
    Raises:
        ValueError: the file is not a checkpoint, or holds objects that are not plain
        data (refused without running them); load_state_dict errors for mismatches,
        after which model and optimizer are as they were.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_checkpoint: no file at {path}")
    try:
        checkpoint = torch.load(path, weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"load_checkpoint refused {path}: it holds Python objects other than tensors and "
            "plain data, and loading those could run code (torch.load(weights_only=True) "
            "stopped before running anything). A file from save_checkpoint never does: do "
            "not load this one unless you know where it comes from."
        ) from err
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        got = sorted(checkpoint) if isinstance(checkpoint, dict) else type_name(checkpoint)
        raise ValueError(f"load_checkpoint: {path} is not a file written by save_checkpoint "
                         f"(got {got}); for a bare state dict use "
                         "model.load_state_dict(torch.load(path, weights_only=True))")
    if optimizer is not None and checkpoint["optimizer"] is None:
        raise ValueError(f"load_checkpoint: {path} holds no optimizer state (it was saved "
                         "without an optimizer); call it without optimizer")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(checkpoint["model"])
    if optimizer is not None:
        try:
            optimizer.load_state_dict(checkpoint["optimizer"])
        except Exception:
            model.load_state_dict(before)  # all or nothing: a half-loaded run resumes wrongly
            raise
    if restore_rng:
        torch.set_rng_state(checkpoint["torch_rng_state"])
    return checkpoint["epoch"]
