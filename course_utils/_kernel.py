"""The course's Jupyter kernel: IPython's, with a machine-independent ``language_info``
and a garbage collector that stops rescanning the libraries it has imported.

JupyterLab copies the kernel's ``language_info`` into a notebook's metadata when
the kernel starts; if it differs from what is stored, the notebook is marked
modified before the student has done anything, and closing it asks to save.
IPython's kernel reports the Python patch version (``"version": "3.11.7"``), so
no stored notebook could match every machine. This kernel reports the same
dictionary without ``version``; ``tools/execute_notebooks.py`` stores exactly
that dictionary, so stored notebooks open clean and stay machine-independent.

Importing torch and matplotlib (and, on the first ``torch.optim`` optimizer,
``torch._dynamo``) creates a few hundred thousand objects that live as long as the
kernel: modules, classes, functions. Python's cyclic garbage collector rescans every
one of them in each full collection, and by default it starts one after every 10
collections of its middle generation once the long-lived objects have grown by a
quarter: several times during those imports, 0.1–0.35 s each. This kernel changes
two things:

- a full collection comes after 100 middle-generation collections instead of 10
  (``FULL_COLLECTION_EVERY``). The young generations are collected as often as
  before, so a reference cycle that becomes garbage soon after it is made is
  reclaimed as soon as before; only cycles that reach the oldest generation first (a
  figure kept across cells, then closed) wait longer, which costs memory, never
  correctness;
- after a cell that imported many modules it calls :func:`gc.freeze`, which moves
  every object alive at that moment out of the collector's sight, so that later
  collections scan only what the notebook creates. Frozen objects are still freed by
  reference counting; a reference cycle among them that becomes garbage later is
  never reclaimed, again memory only.

In notebook 06 the collector's time went from 1.4 s (5 full collections) to 0.35 s
(none).

It is selected for this environment only, by ``ipython_kernel_config.json`` in
``.venv/etc/ipython/`` (written by ``make``); nothing in the user's own Jupyter
or IPython configuration is touched.
"""

import gc
import sys

from ipykernel.ipkernel import IPythonKernel

LANGUAGE_INFO = {key: value for key, value in IPythonKernel.language_info.items()
                 if key != "version"}

# New modules in one cell from which the cell counts as a library import (torch brings
# about 1,000, torch._dynamo about 800, matplotlib.pyplot about 350; `import copy`, 0 or 1).
FREEZE_AFTER_MODULES = 100
# Collections of the middle generation between two full collections (Python's default: 10).
FULL_COLLECTION_EVERY = 100


class ImportFreezer:
    """``post_run_cell`` hook: :func:`gc.freeze` after a cell that imported many modules."""

    def __init__(self, threshold: int = FREEZE_AFTER_MODULES):
        self.threshold = threshold
        self.modules = len(sys.modules)

    def __call__(self, result=None) -> bool:
        """Freeze if the cell just run imported ``threshold`` modules or more; say whether."""
        now = len(sys.modules)
        imported, self.modules = now - self.modules, now
        if imported >= self.threshold:
            gc.freeze()
            return True
        return False


class CourseKernel(IPythonKernel):
    """IPythonKernel whose ``language_info`` carries no Python version, and whose
    garbage collector skips what library imports created (see the module docstring)."""

    language_info = LANGUAGE_INFO

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.shell.events.register("post_run_cell", ImportFreezer())
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
