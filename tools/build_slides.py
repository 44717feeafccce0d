"""Static reveal.js slides of the notebooks, viewable with no network.

Usage: python tools/build_slides.py [NOTEBOOK ...]   (default: notebooks/*.ipynb)

Writes build/slides/<notebook>.slides.html, one file per notebook, from the
stored outputs (nothing is executed). Which cells open a slide, a sub-slide or
a fragment, and which are left out, is the cells' own slideshow metadata
(View > Property Inspector in JupyterLab; the same metadata jupyterlab-rise
presents live). Scripts, styles and fonts come from build/slides/assets/,
unpacked once from the two wheels pinned with their hashes in
requirements-slides.txt (reveal.js 5 and MathJax 3), so the slides open from
the file system, offline, on a projector laptop.
"""

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "slides"
ASSETS = OUT / "assets"
TEMPLATES = Path(__file__).resolve().parent / "slides"
# (wheel name prefix, folder inside the wheel, where it goes under ASSETS)
UNPACK = [
    ("sphinx_revealjs-", "sphinx_revealjs/_static/revealjs/", "reveal/"),
    ("django_static_mathjax-", "mathjax/static/mathjax/es5/tex-svg-full.js",
     "mathjax/tex-svg-full.js"),
    ("django_static_mathjax-", "mathjax/static/mathjax/LICENSE", "mathjax/LICENSE"),
]
NEEDED = [ASSETS / "reveal" / "dist" / "reveal.js",
          ASSETS / "reveal" / "plugin" / "notes" / "notes.js",
          ASSETS / "mathjax" / "tex-svg-full.js"]


def ensure_assets() -> None:
    """Unpack reveal.js and MathJax into build/slides/assets/ (downloads the pinned wheels once)."""
    if all(path.exists() for path in NEEDED):
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--require-hashes", "-r", str(ROOT / "requirements-slides.txt"),
                        "-d", tmp], check=True)
        for prefix, inside, target in UNPACK:
            wheels = sorted(Path(tmp).glob(f"{prefix}*.whl"))
            if len(wheels) != 1:
                raise RuntimeError(f"expected one {prefix}*.whl from requirements-slides.txt, "
                                   f"got {[w.name for w in wheels]}")
            with zipfile.ZipFile(wheels[0]) as wheel:
                for name in wheel.namelist():
                    if name.startswith(inside) and not name.endswith("/"):
                        dest = ASSETS / (target + name[len(inside):])
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        dest.write_bytes(wheel.read(name))
    missing = [str(p) for p in NEEDED if not p.exists()]
    if missing:
        raise RuntimeError(f"the pinned wheels did not contain {missing}")


def exporter() -> SlidesExporter:
    slides = SlidesExporter(extra_template_basedirs=[str(TEMPLATES)], template_name="course")
    slides.reveal_url_prefix = "assets/reveal"
    slides.reveal_theme = "white"  # its fonts ship with reveal.js; "simple" fetches Google Fonts
    slides.reveal_scroll = True
    slides.exclude_input_prompt = True
    slides.exclude_output_prompt = True
    return slides


def build(path: Path, slides: SlidesExporter) -> Path:
    nb = nbformat.read(path, as_version=4)
    if not any(cell.metadata.get("slideshow") for cell in nb.cells):
        raise ValueError(f"{path.name} has no slideshow metadata: every cell would land on one "
                         "slide. Choose the slides (cell metadata `slideshow.slide_type`).")
    html, _ = slides.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    target = OUT / f"{path.stem}.slides.html"
    target.write_text(html, encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    OUT.mkdir(parents=True, exist_ok=True)
    ensure_assets()
    slides = exporter()
    for path in paths:
        target = build(path, slides)
        print(f"{target.relative_to(ROOT)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
