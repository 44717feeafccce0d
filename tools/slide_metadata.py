"""Give a notebook's cells their slideshow roles (jupyterlab-rise live, `make slides` static).

Usage: python tools/slide_metadata.py NOTEBOOK ...

The roles follow the notebook's own structure, so a talk walks through it
section by section:

- the title (``# ``) and each section (``## ``) open a new slide; a subsection
  (``### ``, exercises included) opens a sub-slide, below its section;
- a code cell that draws a figure opens a sub-slide: the figure gets the screen;
- the set-up cell (the first code cell: imports) is skipped;
- an exercise's solution is a fragment (it appears on a click, after the
  question), and its check cell is skipped;
- every other cell continues the slide above it ("-").

A cell that already has a slide_type keeps it: a choice made by hand in
JupyterLab's property inspector is never overwritten. Outputs are untouched,
so the stored notebook stays a clean run for nbval.
"""

import importlib.util
import sys
from pathlib import Path

import nbformat

_spec = importlib.util.spec_from_file_location(
    "student", Path(__file__).resolve().parent / "make_student_version.py")
student = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(student)


def _draws_figure(cell) -> bool:
    return any("image/png" in out.get("data", {}) or "image/svg+xml" in out.get("data", {})
               for out in cell.get("outputs", []))


def roles(nb) -> list[str]:
    """The slide_type this module would give each cell of nb."""
    result, first_code, after_solution = [], True, False
    for cell in nb.cells:
        role = "-"
        if cell.cell_type == "markdown":
            head = cell.source.lstrip().split("\n", 1)[0]
            if head.startswith(("# ", "## ")):
                role = "slide"
            elif head.startswith("### "):
                role = "subslide"
            after_solution = False
        elif cell.cell_type == "code":
            if after_solution:
                role, after_solution = "skip", False
            elif student.solution_blocks(cell.source):
                role, after_solution = "fragment", True
            elif first_code:
                role = "skip"
            elif _draws_figure(cell):
                role = "subslide"
            first_code = False
        result.append(role)
    return result


def apply(path: Path) -> int:
    """Write the roles into cells that have none; return how many cells changed."""
    nb = nbformat.read(path, as_version=4)
    changed = 0
    for cell, role in zip(nb.cells, roles(nb), strict=True):
        if "slide_type" not in cell.metadata.get("slideshow", {}):
            cell.metadata.setdefault("slideshow", {})["slide_type"] = role
            changed += 1
    if changed:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    for name in argv:
        print(f"{name}: {apply(Path(name))} cells given a slide role")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
