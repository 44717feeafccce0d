"""How long a student waits for "Restart & Run All", per notebook, and where the time goes.

Usage: .venv/bin/python benchmarks/notebook_times.py [NN ...]   (default: every notebook)

Each notebook runs top to bottom in a fresh course kernel (nbclient, as JupyterLab's
kernel would run it). Reported per notebook: the kernel start, the sum of its code
cells' execution times, their total (what "Restart & Run All" costs), and the slowest
cells. The reference, measured in the same run first, is the cost every notebook pays
before its first line of course code: a kernel start plus a cell with the course's
imports (torch, matplotlib, course_utils). The ratio notebook / reference says how much
of the wait is the notebook's own work. Run it on a quiet machine; CI times nothing.
"""

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = ("import matplotlib.pyplot as plt\nimport torch\n\n"
           "import course_utils.plotting\ncourse_utils.plotting.use_course_style()")


def run(nb, cwd: Path) -> tuple[float, list[tuple[float, int, str]]]:
    """Kernel start in seconds, and (seconds, cell index, first line) per code cell."""
    client = NotebookClient(nb, kernel_name="python3", timeout=600, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    cells = []
    with client.setup_kernel():
        kernel = time.perf_counter() - start
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            begin = time.perf_counter()
            client.execute_cell(cell, index)
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            cells.append((time.perf_counter() - begin, index, first[:48]))
    return kernel, cells


def main(args: list[str]) -> int:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args:
        notebooks = [p for p in notebooks if p.name[:2] in args]
    kernel, cells = run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(IMPORTS)]),
                        ROOT / "notebooks")
    reference = kernel + sum(t for t, _, _ in cells)
    print(f"reference: kernel start {kernel:.1f} s + course imports {cells[0][0]:.1f} s "
          f"= {reference:.1f} s")
    print(f"{'notebook':34} {'kernel':>6} {'cells':>6} {'total':>6} {'ratio':>6}  slowest cells")
    for path in notebooks:
        kernel, cells = run(nbformat.read(path, as_version=4), path.parent)
        total = kernel + sum(t for t, _, _ in cells)
        slowest = ", ".join(f"[{i}] {t:.1f}" for t, i, _ in sorted(cells, reverse=True)[:4])
        print(f"{path.stem:34} {kernel:6.1f} {total - kernel:6.1f} {total:6.1f} "
              f"{total / reference:6.2f}  {slowest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
