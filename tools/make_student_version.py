"""Write copies of the notebooks with the exercise solutions taken out.

Usage: python tools/make_student_version.py [OUT_DIR]   (default: student/)

In every code cell, the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION``
(the markers nbgrader uses) are replaced by a placeholder that raises
NotImplementedError, indented like the markers. All outputs are cleared, so
the copies open as fresh notebooks. The originals are not touched.
"""

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = re.compile(
    r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*$", re.M | re.S
)
PLACEHOLDER = r"\1# YOUR CODE HERE\n\1raise NotImplementedError()"


def strip_solutions(source: str) -> str:
    """Replace each solution block in a cell's source by the placeholder."""
    if source.count("### BEGIN SOLUTION") != source.count("### END SOLUTION"):
        raise ValueError(f"unbalanced solution markers in cell:\n{source}")
    return SOLUTION.sub(PLACEHOLDER, source)


def student_copy(path: Path, out_dir: Path) -> int:
    """Write the student copy of one notebook; return how many solutions were removed."""
    nb = nbformat.read(path, as_version=4)
    removed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        removed += cell.source.count("### BEGIN SOLUTION")
        cell.source = strip_solutions(cell.source)
        cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, out_dir / path.name)
    return removed


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else ROOT / "student"
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        print(f"{out_dir / path.name}: {student_copy(path, out_dir)} solutions removed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
