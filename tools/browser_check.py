"""What a student and an audience see, checked in a real browser (headless Chromium).

Usage: python tools/browser_check.py [--notebooks] [--slides] [NOTEBOOK ...]
(default: both, every notebook; the slides must have been built: `make slides`)

JupyterLab is started on 127.0.0.1 with a fresh token, on a temporary copy of
the notebooks; every notebook is opened in Chromium (driven by playwright),
and once it is rendered and its kernel is idle the check asserts:

- every formula was typeset by MathJax with zero errors: no ``merror`` node,
  and no ``$`` left in the rendered text beyond the ``\\$`` the sources escape
  (a formula MathJax could not read stays as its ``$...$`` source);
- every stored figure displays: as many loaded images (naturalWidth > 0) as
  the notebook stores PNG/JPEG outputs;
- no request failed, and none left loopback (they are refused, then counted);
- opening the notebook did not mark it modified (the unsaved-changes dot).

The static slides (build/slides/*.slides.html) get the same formula, figure and
request checks, opened from the file system. One screenshot per notebook goes
to build/browser/. The counts are printed; any failure is listed and the exit
status is 1.
"""

import argparse
import asyncio
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "build" / "browser"
SLIDES = ROOT / "build" / "slides"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LOCAL_SCHEMES = ("data", "blob", "about", "file")
# Every cell rendered at once (JupyterLab otherwise renders cells near the viewport only).
LAB_SETTINGS = '{"windowingMode": "none"}'

COUNT_JS = """() => {
  const root = document.querySelector(ROOT_SELECTOR);
  const math = root.querySelectorAll('mjx-container').length
             - root.querySelectorAll('mjx-container mjx-container').length;
  // a TeX error (merror) and, where noundefined is on (JupyterLab), an unknown macro in red
  const errors = root.querySelectorAll(
      'mjx-merror, [data-mml-node="merror"], mjx-mtext[style*="color: red"]').length;
  let dollars = 0, commands = 0;
  const samples = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p.closest('MARKDOWN_SELECTOR') || p.closest('pre, code, mjx-container, script, style'))
      continue;
    const left = n.textContent.match(/\\\\[A-Za-z]+|\\$/g) || [];
    dollars += left.filter(t => t === '$').length;
    commands += left.length - left.filter(t => t === '$').length;
    if (left.length && samples.length < 3) samples.push(n.textContent.trim().slice(0, 80));
  }
  const imgs = Array.from(root.querySelectorAll('IMAGE_SELECTOR'));
  const shown = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  return {math, errors, dollars, commands, images: imgs.length, shown, samples};
}"""


def expected(path: Path) -> dict:
    """What the stored notebook holds: its figures and the dollars its prose escapes."""
    nb = nbformat.read(path, as_version=4)
    figures = sum(1 for cell in nb.cells if cell.cell_type == "code"
                  for out in cell.get("outputs", [])
                  if {"image/png", "image/jpeg"} & set(out.get("data", {})))
    escaped = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = re.sub(r"```.*?```", "", cell.source, flags=re.S)
            escaped += len(re.findall(r"\\\$", re.sub(r"`[^`\n]*`", "", text)))
    return {"figures": figures, "escaped": escaped, "nb": nb}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(workdir: Path, token: str, port: int) -> subprocess.Popen:
    settings = workdir / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(LAB_SETTINGS)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir / 'nb'}",
           f"--LabApp.user_settings_dir={workdir / 'settings'}",
           f"--LabApp.workspaces_dir={workdir / 'workspaces'}", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:  # as make course does: JupyterLab refuses root without it
        cmd.append("--allow-root")
    log = open(workdir / "lab.log", "w")  # noqa: SIM115 (the process owns it until it ends)
    lab = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
            return lab
        except OSError:
            if lab.poll() is not None:
                break
            time.sleep(0.5)
    lab.terminate()
    raise RuntimeError(f"JupyterLab did not start; its log:\n{(workdir / 'lab.log').read_text()}")


class Page:
    """A browser tab that records failed requests and refuses any that leave the machine."""

    def __init__(self, page):
        self.page, self.failed, self.outside = page, [], []
        page.on("requestfailed", lambda r: self.failed.append(r.url)
                if r.url not in self.outside else None)

    @classmethod
    async def open(cls, context):
        self = cls(await context.new_page())

        async def guard(route):
            url = urlparse(route.request.url)
            if url.scheme in LOCAL_SCHEMES or url.hostname in ("127.0.0.1", "localhost"):
                await route.continue_()
            else:
                self.outside.append(route.request.url)
                await route.abort()
        await self.page.route("**/*", guard)
        return self


def problems(name: str, counts: dict, want: dict, page: Page) -> list[str]:
    found = []
    if counts["errors"]:
        found.append(f"{counts['errors']} MathJax errors")
    if counts["dollars"] != want["escaped"] or counts["commands"]:
        found.append(f"{counts['dollars']} '$' ({want['escaped']} escaped in the source) and "
                     f"{counts['commands']} TeX commands left in the rendered text: "
                     f"a formula MathJax did not typeset, e.g. {counts['samples']}")
    if counts["shown"] != want["figures"]:
        found.append(f"{counts['shown']} figures displayed, {want['figures']} stored")
    if page.failed:
        found.append(f"failed requests: {page.failed[:5]}")
    if page.outside:
        found.append(f"requests leaving loopback (refused): {page.outside[:5]}")
    return [f"{name}: {p}" for p in found]


async def settle(page, js: str, timeout: float = 60) -> dict:
    """Counts once they stop changing for 2 s (MathJax and images finish asynchronously)."""
    last, stable_since, deadline = None, time.time(), time.time() + timeout
    while time.time() < deadline:
        counts = await page.evaluate(js)
        if counts != last:
            last, stable_since = counts, time.time()
        elif time.time() - stable_since > 2:
            return counts
        await page.wait_for_timeout(250)
    return last


async def check_notebooks(browser, paths: list[Path]) -> list[str]:
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "nb").mkdir()
        for path in paths:
            shutil.copy(path, work / "nb" / path.name)
        token, port = secrets.token_hex(16), free_port()
        lab = start_lab(work, token, port)
        visible = "'.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook'"
        js = (COUNT_JS.replace("ROOT_SELECTOR", visible)
              .replace("MARKDOWN_SELECTOR", ".jp-MarkdownOutput")
              .replace("IMAGE_SELECTOR", ".jp-OutputArea-output img"))
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            for i, path in enumerate(paths):
                tab = await Page.open(context)
                page = tab.page
                await page.goto(f"http://127.0.0.1:{port}/lab/workspaces/check{i}/tree/"
                                f"{path.name}?reset&token={token}")
                await page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell",
                                             timeout=90_000)
                await page.wait_for_function(  # the kernel started and is idle
                    "() => document.body.innerText.includes('| Idle')", timeout=90_000)
                counts = await settle(page, js)
                dirty = await page.evaluate("() => !!document.querySelector("
                                            "'.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')")
                await page.screenshot(path=str(SHOTS / f"{path.stem}.lab.png"))
                want = expected(path)
                found = problems(path.name, counts, want, tab)
                if dirty:
                    found.append(f"{path.name}: marked modified on open")
                if i == 0:
                    found += await check_rise(page, path.name, counts["math"])
                failures += found
                print(f"lab    {path.stem:36} formulas {counts['math']:4}"
                      f"  errors {counts['errors']}"
                      f"  figures {counts['shown']}/{want['figures']}  outside {len(tab.outside)}"
                      f"  failed {len(tab.failed)}  modified {dirty}", flush=True)
                await page.close()
            await context.close()
        finally:
            lab.terminate()
            lab.wait(timeout=30)
    return failures


async def check_rise(page, name: str, formulas: int) -> list[str]:
    """Alt+R (jupyterlab-rise) presents the open notebook as live slides, formulas typeset."""
    await page.click(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    await page.keyboard.press("Escape")
    await page.keyboard.press("Alt+r")
    deadline = time.time() + 60
    while time.time() < deadline:
        frames = [f for f in page.frames if "/rise/" in f.url]
        if frames:
            try:
                sections, math = await frames[0].evaluate(
                    "() => [document.querySelectorAll('.reveal .slides section').length,"
                    " document.querySelectorAll('mjx-container').length"
                    " - document.querySelectorAll('mjx-container mjx-container').length]")
            except Exception:  # the frame is still loading: ask again
                sections, math = 0, 0
            if sections > 1 and math >= formulas:
                print(f"rise   {Path(name).stem:36} slides {sections:4}  formulas {math:4}")
                return []
        await page.wait_for_timeout(500)
    return [f"{name}: Alt+R did not present it with jupyterlab-rise (slides with its "
            f"{formulas} formulas) within 60 s"]


async def check_slides(browser, paths: list[Path]) -> list[str]:
    failures = []
    js = (COUNT_JS.replace("ROOT_SELECTOR", "'.reveal .slides'")
          .replace("MARKDOWN_SELECTOR", ".jp-MarkdownOutput")
          .replace("IMAGE_SELECTOR", ".jp-OutputArea-output img"))
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    for path in paths:
        html = SLIDES / f"{path.stem}.slides.html"
        if not html.exists():
            failures.append(f"{html.relative_to(ROOT)} missing: run `make slides` first")
            continue
        tab = await Page.open(context)
        page = tab.page
        await page.goto(html.as_uri())
        await page.wait_for_function("() => window.courseMathDone === true", timeout=60_000)
        counts = await settle(page, js)
        sections = await page.evaluate(
            "() => document.querySelectorAll('.reveal .slides > section').length")
        await page.screenshot(path=str(SHOTS / f"{path.stem}.slides.png"))
        want = expected(path)
        shown = [c for c in want["nb"].cells
                 if c.metadata.get("slideshow", {}).get("slide_type") != "skip"]
        want = dict(want, figures=sum(1 for c in shown if c.cell_type == "code"
                                      for o in c.get("outputs", [])
                                      if {"image/png", "image/jpeg"} & set(o.get("data", {}))))
        found = problems(html.name, counts, want, tab)
        if sections < 2:
            found.append(f"{html.name}: {sections} slides")
        failures += found
        print(f"slides {path.stem:36} formulas {counts['math']:4}  errors {counts['errors']}"
              f"  figures {counts['shown']}/{want['figures']}  slides {sections}"
              f"  outside {len(tab.outside)}  failed {len(tab.failed)}", flush=True)
        await page.close()
    await context.close()
    return failures


async def run(args) -> int:
    paths = [Path(p) for p in args.paths] or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    both = not (args.notebooks or args.slides)
    if CHROMIUM is None:
        print("no chromium on PATH: `make browser-check` installs Debian's chromium",
              file=sys.stderr)
        return 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        failures = []
        if args.notebooks or both:
            failures += await check_notebooks(browser, paths)
        if args.slides or both:
            failures += await check_slides(browser, paths)
        await browser.close()
    print(f"{len(paths)} notebooks in {time.perf_counter() - start:.0f} s; screenshots in "
          f"{SHOTS.relative_to(ROOT)}/")
    for failure in failures:
        print("FAIL", failure)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notebooks", action="store_true", help="only the notebooks in JupyterLab")
    parser.add_argument("--slides", action="store_true", help="only the static slides")
    parser.add_argument("paths", nargs="*", help="notebooks (default: all)")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
