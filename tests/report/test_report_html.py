"""A run made by the real ``mlplab`` command, its report.html opened in a real browser.

The run goes through the console script (so the report keeps its command line); the page is
opened in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; its own browser
download is never used): every figure must load, every caption be shown, and a screenshot
of the page must not be blank. Skipped, with the reason, where chromium or Playwright is
missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = os.environ.get("MLPLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM} (apt-get install chromium, or set MLPLAB_CHROMIUM)"
    return ""


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """``mlplab run nonlinear --epochs 2`` through the installed console script."""
    out = tmp_path_factory.mktemp("runs")
    mlplab = Path(sys.executable).with_name("mlplab")
    argv = [str(mlplab), "run", "nonlinear", "--epochs", "2", "--out", str(out), "--quiet"]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "COLUMNS": "120"})
    assert res.returncode == 0, res.stdout + res.stderr
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    return folder


def test_the_report_keeps_the_command_that_made_it(run_folder):
    metrics = json.loads((run_folder / "metrics.json").read_text())
    out = run_folder.parent
    want = f"mlplab run nonlinear --epochs 2 --out {out} --quiet"
    assert metrics["command"] == want
    md = (run_folder / "report.md").read_text()
    assert f"made by the command:\n\n```\n{want}\n```" in md
    assert (run_folder / "config.json").is_file()


@pytest.mark.skipif(bool(_missing()), reason=f"browser test: {_missing()}")
def test_report_html_shows_every_figure_and_caption_in_chromium(run_folder, tmp_path):
    from PIL import Image
    from playwright.sync_api import sync_playwright

    metrics = json.loads((run_folder / "metrics.json").read_text())
    shot = tmp_path / "report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            problems = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto((run_folder / "report.html").as_uri())
            page.wait_for_load_state("load")
            images = page.eval_on_selector_all(
                "figure img", "els => els.map(e => [e.complete, e.naturalWidth, "
                              "e.naturalHeight, e.getBoundingClientRect().width])")
            captions = page.eval_on_selector_all("figcaption", "els => els.map(e => e.innerText)")
            tables = page.eval_on_selector_all("table", "els => els.length")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert len(images) == len(metrics["figures"]) == 4
    for complete, w, h, shown in images:
        assert complete and w >= 600 and h >= 250 and shown >= 600
    want = [f["caption"][:1].upper() + f["caption"][1:] for f in metrics["figures"]]
    assert captions == want
    assert tables >= 3   # comparison, settings, per-class accuracy
    with Image.open(shot) as im:
        pixels = np.asarray(im.convert("L"), dtype=float)
    assert pixels.shape[1] == 1200 and pixels.shape[0] > 2000   # the whole page, figures too
    # not blank: figures and text make the grey levels vary, and a good share is not white
    assert pixels.std() > 20
    assert (pixels < 200).mean() > 0.03
