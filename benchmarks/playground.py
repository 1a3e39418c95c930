"""How fast the playground streams: server time per frame, frames per second through the real
server, and in a browser the first frame after page load and the frames drawn per second.

The issue's setting: a 2-8-8-1 tanh network on 500 points (250 trained, batch size 10, so one
frame = one epoch = 25 steps), a 100x100 output grid and every unit's 25x25 grid per frame.

    .venv/bin/python benchmarks/playground.py [--seconds 5] [--json out.json]

The browser part needs playwright and /usr/bin/chromium (skipped with a note otherwise).
Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time
from pathlib import Path

from mlplab.playground.schema import Config
from mlplab.playground.session import Session

CONFIG = dict(dataset="circle", points=500, train_pct=50, batch_size=10, layers=[8, 8],
              activation="tanh", lr=0.03)
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _stats(xs):
    xs = sorted(xs)
    return {"median": statistics.median(xs), "p95": xs[int(0.95 * (len(xs) - 1))],
            "min": xs[0], "max": xs[-1]}


def server_side(frames: int = 300) -> dict:
    """Session.advance + json.dumps, as the stream does it, without the network."""
    s = Session(Config(**CONFIG))
    cursor: dict = {}
    rows = []
    for _ in range(frames):
        t0 = time.perf_counter()
        f = s.advance(True, cursor)
        t1 = time.perf_counter()
        text = json.dumps(f)
        t2 = time.perf_counter()
        rows.append({"train_ms": f["timing"]["train_ms"], "steps": f["steps"],
                     "grid_ms": f["timing"]["grid_ms"] + f["timing"]["encode_ms"],
                     "json_ms": (t2 - t1) * 1e3, "total_ms": (t2 - t0) * 1e3,
                     "kbytes": len(text) / 1024})
    return {k: _stats([r[k] for r in rows]) for k in rows[0]}


class _Server:
    def __enter__(self):
        import uvicorn

        from mlplab.playground.server import create_app

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1",
                                                 port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.srv.run, daemon=True)
        self.thread.start()
        while not self.srv.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.srv.should_exit = True
        self.thread.join(timeout=10)


def through_websocket(port: int, seconds: float) -> dict:
    """Frames per second a client that acknowledges at once receives while playing."""
    import urllib.request

    from websockets.sync.client import connect

    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/sessions",
                                 data=json.dumps(CONFIG).encode(),
                                 headers={"Content-Type": "application/json"})
    sid = json.loads(urllib.request.urlopen(req).read())["session"]
    with connect(f"ws://127.0.0.1:{port}/api/sessions/{sid}/stream", max_size=None) as ws:
        first = json.loads(ws.recv())
        ws.send(json.dumps({"type": "ack", "frame": first["frame_no"]}))
        ws.send(json.dumps({"type": "play"}))
        t0, n, epochs = time.perf_counter(), 0, []
        while time.perf_counter() - t0 < seconds:
            f = json.loads(ws.recv())
            ws.send(json.dumps({"type": "ack", "frame": f["frame_no"]}))
            n += 1
            epochs.append(f["epoch"])
        elapsed = time.perf_counter() - t0
        ws.send(json.dumps({"type": "pause"}))
    return {"fps": n / elapsed, "epochs_per_s": (epochs[-1] - epochs[0]) / elapsed}


def in_browser(port: int, seconds: float, loads: int = 5) -> dict:
    from playwright.sync_api import sync_playwright

    url = f"http://127.0.0.1:{port}/#" + "&".join(
        f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in CONFIG.items())
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        firsts = []
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.wait_for_function("window.playground && window.playground.firstFrameMs")
            firsts.append(page.evaluate("window.playground.firstFrameMs"))
            page.close()
        out["first_frame_ms"] = _stats(firsts)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url)
        page.wait_for_function("window.playground && window.playground.firstFrameMs")
        page.click("#play")
        page.wait_for_timeout(500)
        n0 = page.evaluate("window.playground.frames")
        page.wait_for_timeout(seconds * 1000)
        n1 = page.evaluate("window.playground.frames")
        out["fps"] = (n1 - n0) / seconds
        out["draw_ms"] = _stats(page.evaluate("window.playground.drawMs.slice(-200)"))
        page.click("#play")
        browser.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    result = {"config": CONFIG, "server": server_side()}
    with _Server() as srv:
        result["websocket"] = through_websocket(srv.port, args.seconds)
        try:
            import playwright  # noqa: F401

            browser_ok = Path(CHROMIUM).is_file()
        except ImportError:
            browser_ok = False
        result["browser"] = in_browser(srv.port, args.seconds) if browser_ok else None
    s = result["server"]
    print("server, per frame (median / p95 ms): "
          f"train {s['train_ms']['median']:.2f} / {s['train_ms']['p95']:.2f} "
          f"({s['steps']['median']:.0f} steps), grids {s['grid_ms']['median']:.2f} / "
          f"{s['grid_ms']['p95']:.2f}, json {s['json_ms']['median']:.2f} / "
          f"{s['json_ms']['p95']:.2f}, total {s['total_ms']['median']:.2f} / "
          f"{s['total_ms']['p95']:.2f}; {s['kbytes']['median']:.1f} KiB per frame")
    w = result["websocket"]
    print(f"websocket: {w['fps']:.1f} frames/s ({w['epochs_per_s']:.1f} epochs/s)")
    b = result["browser"]
    if b:
        print(f"browser: first frame {b['first_frame_ms']['median']:.0f} ms after navigation "
              f"(median of 5; max {b['first_frame_ms']['max']:.0f}), "
              f"{b['fps']:.1f} frames/s drawn, draw {b['draw_ms']['median']:.2f} / "
              f"{b['draw_ms']['p95']:.2f} ms")
    else:
        print("browser: skipped (needs playwright and /usr/bin/chromium)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
