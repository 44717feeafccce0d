"""How long a student waits for "Restart & Run All", per notebook, and where the time goes.

Usage: .venv/bin/python benchmarks/notebook_times.py [--repeats R] [NN ...]
       (default: every notebook, once)

Each notebook runs top to bottom in a fresh course kernel (nbclient, as JupyterLab's
kernel would run it). Reported per notebook: the kernel start, the sum of its code
cells' execution times, their total (what "Restart & Run All" costs), and the slowest
cells. The reference, measured in the same run first, is the cost every notebook pays
before its first line of course code: a kernel start plus a cell with the course's
imports (torch, matplotlib, course_utils). The ratio notebook / reference says how much
of the wait is the notebook's own work. With ``--repeats R`` the reference and each
notebook run R times; the fastest run of each is reported (the least disturbed one
on a shared machine), and the slowest run's total beside it, so the spread shows. Run it
on a quiet machine; CI times nothing.
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


def fastest(path: Path | None, repeats: int) -> tuple[float, float, list, float]:
    """(total, kernel start, cells) of the fastest of `repeats` runs, and the slowest run's
    total; path None: the reference."""
    runs = []
    for _ in range(repeats):
        if path is None:
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(IMPORTS)])
        else:
            nb = nbformat.read(path, as_version=4)
        kernel, cells = run(nb, ROOT / "notebooks")
        runs.append((kernel + sum(t for t, _, _ in cells), kernel, cells))
    return (*min(runs, key=lambda r: r[0]), max(r[0] for r in runs))


def main(args: list[str]) -> int:
    repeats = 1
    if args[:1] == ["--repeats"]:
        repeats, args = int(args[1]), args[2:]
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args:
        notebooks = [p for p in notebooks if p.name[:2] in args]
    reference, kernel, cells, worst = fastest(None, repeats)
    fastest_of = (f" (each line: the fastest of {repeats} runs; 'worst': the slowest run's "
                  f"total)") if repeats > 1 else ""
    print(f"reference: kernel start {kernel:.1f} s + course imports {cells[0][0]:.1f} s "
          f"= {reference:.1f} s, worst {worst:.1f} s{fastest_of}")
    print(f"{'notebook':34} {'kernel':>6} {'cells':>6} {'total':>6} {'worst':>6} {'ratio':>6}"
          f"  slowest cells")
    for path in notebooks:
        total, kernel, cells, worst = fastest(path, repeats)
        slowest = ", ".join(f"[{i}] {t:.1f}" for t, i, _ in sorted(cells, reverse=True)[:4])
        print(f"{path.stem:34} {kernel:6.1f} {total - kernel:6.1f} {total:6.1f} {worst:6.1f} "
              f"{total / reference:6.2f}  {slowest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
