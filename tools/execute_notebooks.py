"""Re-run notebooks top to bottom in a fresh kernel and store their outputs.

Usage: python tools/execute_notebooks.py [NOTEBOOK ...]   (default: notebooks/*.ipynb)

This is "Restart & Run All" from the command line, with the details that keep
stored notebooks clean for nbval: the kernel is this environment's Python,
the working directory is notebooks/, no timing metadata is written, and the
notebook metadata is normalised so reruns give small diffs. A cell that raises
stops the run unless it is tagged ``raises-exception``.

The stored ``language_info`` is the course kernel's (course_utils._kernel): the
one JupyterLab receives when it opens the notebook, so opening a notebook does
not mark it modified, and it names no Python version, so it fits every machine.
"""

import copy
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course_utils._kernel import LANGUAGE_INFO

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
METADATA = {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}


def _metadata() -> dict:
    return copy.deepcopy(METADATA)


def execute(path: Path) -> float:
    """Execute one notebook in place; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata = _metadata()
    for cell in nb.cells:
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - start
    reported = nb.metadata.get("language_info")
    if reported != LANGUAGE_INFO:
        raise RuntimeError(
            f"{path.name}: the kernel reported language_info {reported}, expected the course "
            f"kernel's {LANGUAGE_INFO}. Is .venv/etc/ipython/ipython_kernel_config.json there? "
            "Run `make` to install it.")
    nb.metadata = _metadata()
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in paths:
        print(f"{path.name}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
