"""Write the student edition of the notebooks: exercise solutions taken out.

Usage: python tools/make_student_version.py [--reset NOTEBOOK ...] [--out DIR]

Each solution in a code cell sits between two marker lines (nbgrader's markers),
the first of which names the exercise and what to write:

    ### BEGIN SOLUTION Exercise 2.1: return J, one row per backward pass
    ...
    ### END SOLUTION

The block becomes ``raise NotImplementedError("Exercise 2.1 is not done yet:
return J, one row per backward pass")``, indented like the markers; everything
outside the markers (signature, docstring, names the check reads) stays.
Outputs are cleared.

A student's copy is never overwritten. A missing copy is written; an existing
copy that nobody edited (its cell sources still hash to the value stored when
it was written) is refreshed if the course notebook changed; an edited copy is
kept. ``--reset 02`` (or a file name) writes a fresh copy of that notebook
after moving the old one into DIR/backups/ with a time stamp.
"""

import argparse
import hashlib
import json
import re
import shutil
import sys
import textwrap
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BEGIN = re.compile(r"^([ \t]*)### BEGIN SOLUTION(.*)$")
END = re.compile(r"^[ \t]*### END SOLUTION")
LABEL = re.compile(r"^\s+Exercise (\d+\.\d+[a-z]?): (\S.*?)\s*$")


def solution_blocks(source: str) -> list[dict]:
    """The solution blocks of a cell: exercise id, what to write, indent, line span, code."""
    lines, blocks, current = source.split("\n"), [], None
    for number, line in enumerate(lines):
        begin = BEGIN.match(line)
        if begin:
            if current is not None:
                raise ValueError(f"nested '### BEGIN SOLUTION' in cell:\n{source}")
            label = LABEL.match(begin.group(2))
            if label is None:
                raise ValueError("a solution marker must name its exercise and what to write, "
                                 "e.g. '### BEGIN SOLUTION Exercise 2.1: return J'; "
                                 f"got {line.strip()!r}")
            current = {"id": label.group(1), "todo": label.group(2), "indent": begin.group(1),
                       "start": number}
        elif END.match(line):
            if current is None:
                raise ValueError(f"'### END SOLUTION' without a BEGIN in cell:\n{source}")
            current["end"] = number
            current["code"] = textwrap.dedent("\n".join(lines[current["start"] + 1:number]))
            blocks.append(current)
            current = None
    if current is not None:
        raise ValueError(f"'### BEGIN SOLUTION' without an END in cell:\n{source}")
    return blocks


def not_done_message(block: dict) -> str:
    return f"Exercise {block['id']} is not done yet: {block['todo']}"


def replace_blocks(source: str, replacements: list[str]) -> str:
    """Put ``replacements[i]`` (dedented code) in place of block i, markers included."""
    lines, out, last = source.split("\n"), [], 0
    blocks = solution_blocks(source)
    if len(blocks) != len(replacements):
        raise ValueError(f"cell has {len(blocks)} solution blocks, got {len(replacements)} "
                         "replacements")
    for block, code in zip(blocks, replacements, strict=True):
        out += lines[last:block["start"]]
        out += [block["indent"] + line if line.strip() else ""
                for line in code.rstrip("\n").split("\n")]
        last = block["end"] + 1
    return "\n".join(out + lines[last:])


def strip_solutions(source: str) -> str:
    """Replace each solution block in a cell's source by the "not done yet" placeholder."""
    stubs = [f"# YOUR CODE HERE\nraise NotImplementedError({json.dumps(not_done_message(b))})"
             for b in solution_blocks(source)]
    return replace_blocks(source, stubs) if stubs else source


def student_notebook(path: Path):
    """The student edition of one notebook (in memory) and how many solutions it removed."""
    nb = nbformat.read(path, as_version=4)
    removed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        removed += len(solution_blocks(cell.source))
        cell.source = strip_solutions(cell.source)
        cell.outputs, cell.execution_count = [], None
    nb.metadata["course"] = {"student_copy_sources": sources_hash(nb)}
    return nb, removed


def sources_hash(nb) -> str:
    """SHA-256 of the cells' types and sources: what a student's edits change."""
    text = json.dumps([[cell.cell_type, cell.source] for cell in nb.cells])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def edited(copy_path: Path) -> bool:
    """True unless the copy's cell sources are exactly what this tool wrote."""
    try:
        nb = nbformat.read(copy_path, as_version=4)
        stored = nb.metadata.get("course", {}).get("student_copy_sources")
    except Exception:  # unreadable: treat as the student's, never overwrite it
        return True
    return stored != sources_hash(nb)


def write_copy(path: Path, out_dir: Path, reset: bool) -> str:
    """Write (or keep) the student copy of one notebook; return what happened, in words."""
    target = out_dir / path.name
    nb, removed = student_notebook(path)
    if target.exists() and reset:
        backups = out_dir / "backups"
        backups.mkdir(exist_ok=True)
        backup = backups / f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
        shutil.move(target, backup)
        nbformat.write(nb, target)
        return f"reset ({removed} exercises); your previous copy is in {backup}"
    if target.exists() and edited(target):
        return (f"kept: you have edited it (to start it again: make student-reset "
                f"NB={path.name[:2]}, which backs it up first)")
    if target.exists():
        old = nbformat.read(target, as_version=4)
        if old.metadata["course"]["student_copy_sources"] == nb.metadata["course"][
                "student_copy_sources"]:
            return "up to date"
        nbformat.write(nb, target)
        return "updated: the course notebook changed and you had not edited your copy"
    nbformat.write(nb, target)
    return f"written ({removed} exercises)"


def matches(path: Path, wanted: str) -> bool:
    return path.name == wanted or path.stem == wanted or path.name.startswith(f"{wanted}_")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "student", help="default: student/")
    parser.add_argument("--reset", nargs="+", default=[], metavar="NOTEBOOK",
                        help="write a fresh copy of these (e.g. 02), backing up the old one")
    args = parser.parse_args(argv)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    unknown = [w for w in args.reset if not any(matches(p, w) for p in notebooks)]
    if unknown:
        parser.error(f"no notebook matches {', '.join(unknown)}; "
                     f"choose from {', '.join(p.stem for p in notebooks)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        reset = any(matches(path, w) for w in args.reset)
        print(f"{args.out / path.name}: {write_copy(path, args.out, reset)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
