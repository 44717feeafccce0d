"""The whole test suite against its floor: the cost of just starting its kernels.

Usage: python benchmarks/suite_vs_floor.py

The floor is what no test suite of these notebooks can go below when run
serially: one trivial notebook per kernel the suite starts (each course
notebook under nbval, and each notebook's student edition in the exercise
harness), each doing only what every course notebook does first, importing
torch, matplotlib and course_utils, run by pytest + nbval in one process, the
same way. The suite is `make test`'s pytest command (xdist, one worker per
core). Both are measured in this one run, floor first, and the ratio is
printed; CI does not time anything.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
IMPORTS = "import matplotlib.pyplot as plt\nimport torch\n\nimport course_utils.plotting"


def kernels_started() -> int:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    harness = [p for p in notebooks if (ROOT / "tests" / "exercises" / f"{p.stem}.toml").exists()]
    return len(notebooks) + len(harness)


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed


def main() -> int:
    pytest = [sys.executable, "-m", "pytest", "-q"]
    n = kernels_started()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            trivial = new_notebook(cells=[new_code_cell(IMPORTS)])
            nbformat.write(trivial, Path(tmp) / f"t{i:02}.ipynb")
        (Path(tmp) / "pytest.ini").write_text("[pytest]\naddopts = --nbval --nbval-current-env "
                                              "-p no:cacheprovider\n")
        floor = timed([*pytest, "."], Path(tmp))
    suite = timed([*pytest, "-n", str(os.cpu_count())], ROOT)
    print(f"floor: {n} trivial notebooks (kernel start + imports), serial: {floor:.1f} s")
    print(f"suite: `make test`'s pytest, {os.cpu_count()} workers: {suite:.1f} s")
    print(f"ratio suite / floor: {suite / floor:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
