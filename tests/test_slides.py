"""Slides: roles chosen from each notebook's structure; a static build that needs no network."""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


slide_metadata = _load("slide_metadata")
build_slides = _load("build_slides")


def _figure_cell(source):
    cell = new_code_cell(source)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})]
    return cell


def test_roles_follow_the_structure_of_the_notebook():
    nb = new_notebook(cells=[
        new_markdown_cell("# 09 · Title"), new_code_cell("import torch"),
        new_markdown_cell("## 1. A section"), new_code_cell("x = 1"),
        _figure_cell("plt.show()"), new_markdown_cell("### Exercise 9.1: a question"),
        new_code_cell("def f():\n    ### BEGIN SOLUTION Exercise 9.1: return 1\n"
                      "    return 1\n    ### END SOLUTION"),
        new_code_cell("assert f() == 1"), new_markdown_cell("Some prose."),
    ])
    assert slide_metadata.roles(nb) == [
        "slide", "skip", "slide", "-", "subslide", "subslide", "fragment", "skip", "-"]


def test_a_role_chosen_by_hand_is_kept(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("## A section"), new_code_cell("x = 1")])
    nb.cells[0].metadata["slideshow"] = {"slide_type": "notes"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert slide_metadata.apply(path) == 1
    cells = nbformat.read(path, as_version=4).cells
    assert [c.metadata["slideshow"]["slide_type"] for c in cells] == ["notes", "skip"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_has_its_slide_roles(path):
    cells = nbformat.read(path, as_version=4).cells
    missing = [i for i, cell in enumerate(cells)
               if "slide_type" not in cell.metadata.get("slideshow", {})]
    assert not missing, (f"{path.name}: cells {missing} have no slide role; run "
                         f"`python tools/slide_metadata.py {path.relative_to(ROOT)}`")


def test_static_slides_of_a_notebook_have_its_sections_and_load_nothing_remote():
    path = ROOT / "notebooks" / "05_losses.ipynb"
    nb = nbformat.read(path, as_version=4)
    html, _ = build_slides.exporter().from_notebook_node(nb, resources={"metadata": {"name": "05"}})
    sections = [line[3:] for c in nb.cells if c.cell_type == "markdown"
                for line in re.sub(r"```.*?```", "", c.source, flags=re.S).splitlines()
                if line.startswith("## ")]
    assert len(sections) >= 5
    headings = [re.sub(r"<[^>]+>|¶", "", h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html)]
    assert [h.strip() for h in headings] == [s.replace("`", "").strip() for s in sections]
    opening = [c.source.split("\n", 1)[0][3:] for c in nb.cells
               if c.cell_type == "markdown" and c.source.startswith("## ")]
    starts = re.findall(r"<section[^>]*>\s*(?:<section[^>]*>\s*)?<div[^>]*>\s*<div[^>]*>\s*"
                        r"<div[^>]*>\s*</div>\s*<div[^>]*><div[^>]*>\s*<h2[^>]*>(.*?)</h2>", html)
    assert len(starts) == len(opening), "each section opens a slide of its own"
    assert html.count('class="fragment"') >= 1  # the exercises' solutions appear on a click
    remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', html)
    assert not remote, f"the slides would fetch {remote}"
    assert 'src="assets/mathjax/tex-svg-full.js"' in html
    assert 'src="assets/reveal/dist/reveal.js"' in html
    assert "import torch" not in html  # the set-up cell is skipped


def test_a_notebook_without_roles_is_refused(tmp_path):
    path = tmp_path / "bare.ipynb"
    nbformat.write(new_notebook(cells=[new_markdown_cell("# Bare")]), path)
    with pytest.raises(ValueError, match="no slideshow metadata"):
        build_slides.build(path, build_slides.exporter())
