"""The page in a real browser: Playwright driving Debian's chromium against a live server.

Skipped, with the reason, where chromium (/usr/bin/chromium; CI installs it with apt) or the
playwright package is missing. Playwright's own browser download is never used. Set
MLPLAB_DOCS_SCREENSHOT=1 to write the screenshot to docs/img/playground.png.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("MLPLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing() -> str:
    try:
        import fastapi  # noqa: F401
        import playwright.sync_api  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed (pip install -e '.[dev]')"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM} (apt-get install chromium, or set MLPLAB_CHROMIUM)"
    return ""


pytestmark = pytest.mark.skipif(bool(_missing()), reason=f"browser tests: {_missing()}")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from mlplab.playground.server import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(max_sessions=8), host="127.0.0.1",
                                       port=port, log_level="warning", ws_max_size=4096))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.base = server
    yield page
    context.close()


def _open(page, hash_: str = "") -> None:
    page.goto(page.base + hash_)
    page.wait_for_function("window.playground && window.playground.firstFrameMs !== null",
                           timeout=15000)


def _value(page, selector: str) -> float:
    return float(page.eval_on_selector(selector, "e => e.dataset.value || 'nan'"))


def _epoch(page) -> int:
    return int(page.eval_on_selector("#epoch", "e => e.dataset.epoch"))


def _pause(page) -> None:
    if page.evaluate("window.playground.playing"):
        page.click("#play")
    page.wait_for_function("!window.playground.frame.playing", timeout=10000)


def test_page_loads_without_console_errors(page):
    _open(page)
    page.wait_for_timeout(300)
    assert page.problems == []
    assert page.title() == "mlplab playground"
    assert page.eval_on_selector("#epoch", "e => e.textContent") == "000,000"
    assert page.locator("#nodes .unit").count() == 6       # 4 + 2 hidden units
    assert page.locator("#links path").count() == 2 * 4 + 4 * 2 + 2 * 1
    # every generated data set's button shows its thumbnail; "Your CSV" has none
    assert page.locator("#datasets button canvas.thumb").count() == 9
    assert page.locator("[data-dataset='upload'] canvas").count() == 0


def test_play_advances_epochs_and_the_circle_test_loss_falls_below_0_1(page):
    _open(page)
    page.select_option("#lr", "0.1")
    page.click("#play")
    # the value shown at the moment it is reached (frames go on until the pause lands)
    reached = page.wait_for_function(
        "(v => v < 0.1 && [v, Number(document.querySelector('#epoch').dataset.epoch)])"
        "(Number(document.querySelector('#test-loss').dataset.value))", timeout=40000)
    loss, epoch = reached.json_value()
    _pause(page)
    assert loss < 0.1 and epoch > 0 and _epoch(page) >= epoch
    assert page.problems == []


def test_a_layer_more_and_a_3_class_spiral_train_to_90_percent(page, tmp_path):
    _open(page, "#layers=8,8&optimizer=adam&lr=0.03&show_test=1")
    page.click("#add-layer")
    page.wait_for_function("window.playground.config.layers.length === 3")
    for _ in range(6):   # the new layer starts with 2 units: make it 8
        units = page.evaluate("window.playground.config.layers[2]")
        page.click("[data-add-unit='2']")
        page.wait_for_function(f"window.playground.config.layers[2] === {units + 1}")
    page.click("[data-dataset='spiral']")
    page.wait_for_function("window.playground.config.dataset === 'spiral'")
    assert page.evaluate("window.playground.setup.classes.length") == 3
    assert page.evaluate("window.playground.setup.spec") == "2-8-tanh-8-tanh-8-tanh-3"
    page.click("#play")
    reached = page.wait_for_function(
        "(v => v >= 0.9 && v)(Number(document.querySelector('#test-acc').dataset.value))",
        timeout=40000)
    assert reached.json_value() >= 0.9
    _pause(page)
    # hovering a link shows its weight
    x, y = page.evaluate("""(() => {
        const p = document.querySelectorAll('#links path')[3];
        const m = p.getPointAtLength(p.getTotalLength() / 2), box = p.ownerSVGElement
          .getBoundingClientRect();
        return [box.left + m.x, box.top + m.y]; })()""")
    page.mouse.move(x, y)
    assert page.eval_on_selector("#hovercard", "e => e.textContent").startswith("weight ")
    page.mouse.move(5, 5)
    out = ROOT / "docs" / "img" / "playground.png" if os.environ.get(
        "MLPLAB_DOCS_SCREENSHOT") else tmp_path / "playground.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=True)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.problems == []


def test_an_uploaded_csv_is_drawn(page, tmp_path):
    _open(page)
    rows = [(0.2, 0.3, "a"), (-0.5, 0.8, "b"), (0.9, -0.7, "a"), (-0.8, -0.6, "b"),
            (0.1, -0.2, "a"), (0.6, 0.6, "b")] * 5
    csv = "u,v,kind\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)
    page.set_input_files("#upload", files=[{"name": "mine.csv", "mimeType": "text/csv",
                                            "buffer": csv.encode()}])
    page.wait_for_function("window.playground.config.dataset === 'upload'")
    page.wait_for_function("window.playground.frame && window.playground.frame.run === "
                           "window.playground.setup.run")
    assert page.eval_on_selector("#data-source", "e => e.textContent") == "mine.csv"
    setup = page.evaluate("window.playground.setup")
    assert len(setup["points"]["x"]) == 30 and setup["classes"] == ["a", "b"]
    # the first training point's centre pixel on the output canvas has its class colour
    i = setup["points"]["test"].index(0)
    (x, y), cls = setup["points"]["x"][i], setup["points"]["y"][i]
    x0, x1, y0, y1 = setup["extent"]
    pixel = page.evaluate(f"""Array.from(document.querySelector('#heatmap').getContext('2d')
        .getImageData({(x - x0) / (x1 - x0) * 300:.0f}, {(y1 - y) / (y1 - y0) * 300:.0f}, 1, 1)
        .data)""")
    colour = [245, 147, 34] if cls == 0 else [8, 119, 189]
    assert max(abs(p - c) for p, c in zip(pixel[:3], colour)) <= 40, (pixel, colour)
    assert page.locator("[data-dataset='upload']").get_attribute("class") == "selected"
    assert page.problems == []


def test_a_bad_setting_shows_a_clear_message(page):
    _open(page, "#points=999999")
    page.wait_for_selector("#message:not([hidden])")
    text = page.eval_on_selector("#message", "e => e.textContent")
    assert "points: Input should be less than or equal to 2000" in text
    assert "starting from the defaults" in text


def test_exported_toml_run_by_mlplab_reaches_the_pages_loss(page, tmp_path):
    _open(page, "#lr=0.3&layers=4&seed=3")
    page.click("#play")
    page.wait_for_function("Number(document.querySelector('#epoch').dataset.epoch) >= 20",
                           timeout=40000)
    _pause(page)
    # a step finishes the epoch the pause landed in, or trains a whole one when the pause
    # landed on an epoch's end: either way one more completed epoch. Waiting for that frame
    # (not for any frame at batch 0, which the paused one may already be) avoids reading
    # the counter before the step's frame arrives.
    after = page.evaluate("window.playground.frame.epoch") + 1
    page.click("#step")
    page.wait_for_function(f"window.playground.frame.epoch === {after} && "
                           "window.playground.frame.batch === 0")
    epoch, loss = _epoch(page), _value(page, "#test-loss")
    assert epoch == after
    with page.expect_download() as dl:
        page.click("#export-toml")
    path = tmp_path / "playground.toml"
    dl.value.save_as(str(path))
    assert f"epochs = {epoch}\n" in path.read_text()
    mlplab = Path(sys.executable).with_name("mlplab")
    subprocess.run([str(mlplab), "run", str(path), "--out", str(tmp_path / "runs"), "-q"],
                   check=True, capture_output=True, text=True)
    metrics = json.loads(next((tmp_path / "runs").glob("playground-*/metrics.json")).read_text())
    ran = metrics["models"]["playground"]["val"]["loss"]
    # the same batches and weights: the page's number is the run's, up to JSON's printing
    assert ran == pytest.approx(loss, rel=1e-9, abs=1e-12)
