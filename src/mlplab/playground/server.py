"""The playground's HTTP and WebSocket routes: validate, call the session, answer.

    GET    /                               the page (static/index.html)
    GET    /static/...                     its scripts and style, shipped in the package
    GET    /api/options                    choices and bounds for the controls
    POST   /api/sessions                   Config -> {"session": id, "setup": ...}
    PUT    /api/sessions/{id}/config       Config -> setup (a new data set or network)
    POST   /api/sessions/{id}/upload       Upload (a CSV as text) -> setup
    POST   /api/sessions/{id}/explain      Point -> `mlplab explain`'s text for the nearest point
    GET    /api/sessions/{id}/export.toml  the experiment file (also export.npz, export.py)
    DELETE /api/sessions/{id}
    WS     /api/sessions/{id}/stream       Control messages in, frames out

A user's mistake (bad data, an unknown session) is answered with a status and
``{"detail": "one line"}``; validation errors also carry ``detail`` as one line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from importlib import resources

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from mlplab.errors import MlplabError
from mlplab.playground.manager import NoSession, SessionManager, TooManySessions
from mlplab.playground.schema import MAX_BODY_BYTES, Config, Control, Point, Upload, options
from mlplab.playground.session import Session, previews

MAX_IN_FLIGHT = 2          # frames sent and not yet acknowledged by the page
MIN_FRAME_S = 1 / 60       # at most 60 frames a second
MAX_MESSAGE_CHARS = 1024   # a control message is a few dozen characters


def _static_dir():
    return resources.files("mlplab.playground") / "static"


def _one_line(errors) -> str:
    parts = []
    for e in errors:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body",))
        parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
    return "; ".join(parts)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes (413) before the app reads them."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            size += len(message.get("body", b""))
            if size > self.limit:
                response = JSONResponse({"detail": f"request body over {self.limit} bytes; "
                                                   "upload a smaller file"}, status_code=413)
                return await response(scope, receive, send)
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def create_app(max_sessions: int = 4, idle_seconds: float = 600.0) -> FastAPI:
    """The playground's ASGI app; ``app.state.manager`` holds its sessions."""
    manager = SessionManager(max_sessions, idle_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async def janitor():
            while True:
                await asyncio.sleep(min(30.0, idle_seconds))
                manager.drop_idle()

        task = asyncio.create_task(janitor())
        # a first session loads what every session needs, so the page's first one is quick
        await asyncio.to_thread(lambda: Session(Config()).frame())
        yield
        task.cancel()

    app = FastAPI(title="mlplab playground", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.manager = manager
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    app.mount("/static", StaticFiles(directory=str(_static_dir())), name="static")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request, exc: RequestValidationError):
        return JSONResponse({"detail": _one_line(exc.errors())}, status_code=422)

    @app.exception_handler(TooManySessions)
    async def _full(request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=429)

    @app.exception_handler(MlplabError)
    async def _user_error(request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(NoSession)
    async def _no_session(request, exc):
        return JSONResponse({"detail": str(exc)}, status_code=404)

    # the controls' choices and bounds, and every data set's thumbnail (about 20 KB)
    page_options = {**options(), "previews": previews()}
    page = (_static_dir() / "index.html").read_text(encoding="utf-8").replace(
        "{{OPTIONS}}", json.dumps(page_options).replace("</", "<\\/"))

    @app.get("/", response_class=HTMLResponse)
    def index():
        return page   # with the options inlined: one request less before the first frame

    @app.get("/api/options")
    def get_options():
        return page_options

    @app.post("/api/sessions")
    async def create(config: Config):
        session = await asyncio.to_thread(Session, config)
        sid = manager.create(session)
        return {"session": sid, "setup": session.setup()}

    async def reconfigure(entry, config: Config, body: Upload | None = None):
        setup = await asyncio.to_thread(entry.session.configure, config, body)
        entry.changed(stop=True)
        return setup

    @app.put("/api/sessions/{sid}/config")
    async def configure(sid: str, config: Config):
        entry = manager.get(sid)
        entry.touch()
        return await reconfigure(entry, config)

    @app.post("/api/sessions/{sid}/upload")
    async def upload(sid: str, body: Upload):
        entry = manager.get(sid)
        entry.touch()
        return await reconfigure(
            entry, entry.session.config.model_copy(update={"dataset": "upload"}), body)

    @app.post("/api/sessions/{sid}/explain")
    async def explain(sid: str, point: Point):
        entry = manager.get(sid)
        entry.touch()
        return await asyncio.to_thread(entry.session.explain, point.x1, point.x2)

    @app.get("/api/sessions/{sid}/export.{kind}")
    async def export(sid: str, kind: str):
        entry = manager.get(sid)
        entry.touch()
        s = entry.session
        exports = {"toml": (s.export_toml, "text/plain"), "py": (s.export_script, "text/plain"),
                   "npz": (s.export_npz, "application/octet-stream")}
        if kind in exports:
            make, media_type = exports[kind]
            return Response(await asyncio.to_thread(make), media_type=media_type,
                            headers=_attachment(f"playground.{kind}"))
        return JSONResponse({"detail": f"unknown export {kind!r}; choose one of toml, npz, "
                                       "py"}, status_code=404)

    @app.delete("/api/sessions/{sid}")
    def delete(sid: str):
        manager.get(sid)
        manager.drop(sid)
        return {"deleted": sid}

    @app.websocket("/api/sessions/{sid}/stream")
    async def stream(ws: WebSocket, sid: str):
        await ws.accept()
        entry = manager.entries.get(sid)
        if entry is None:
            await ws.send_json({"type": "error", "message": "no such session; reload the "
                                                            "page"})
            await ws.close(code=4404)
            return
        entry.streams += 1
        entry.touch()
        state = {"acked": 0}
        sender = asyncio.create_task(_send_frames(ws, entry, state, idle_seconds))
        entry.changed()   # the first frame, at once
        try:
            while True:
                text = await ws.receive_text()
                if len(text) > MAX_MESSAGE_CHARS:
                    await ws.send_json({"type": "error", "message": "message too long"})
                    continue
                try:
                    msg = Control.model_validate(json.loads(text))
                except (ValueError, ValidationError) as e:
                    errors = e.errors() if isinstance(e, ValidationError) else [{"msg": str(e)}]
                    await ws.send_json({"type": "error", "message": _one_line(errors)})
                    continue
                await _control(entry, msg, state)
        except WebSocketDisconnect:
            pass
        finally:
            entry.streams -= 1
            entry.playing = False
            entry.touch()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    return app


def _attachment(name: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


async def _control(entry, msg: Control, state: dict) -> None:
    """Apply one control message of the stream."""
    s = entry.session
    if msg.type == "ack":
        state["acked"] = max(state["acked"], msg.frame or 0)
        entry.wake.set()
        return
    entry.touch()
    if msg.type == "play":
        entry.playing = s.status != "diverged"
        entry.changed()
    elif msg.type == "pause":
        entry.changed(stop=True)
    elif msg.type == "step":
        entry.playing = False
        await asyncio.to_thread(s.train, whole_epoch=True)
        entry.changed()
    elif msg.type == "reset":
        await asyncio.to_thread(s.reset)
        entry.changed(stop=True)
    elif msg.type == "lr" and msg.lr is not None:
        await asyncio.to_thread(s.set_lr, msg.lr)
        entry.changed()


async def _send_frames(ws: WebSocket, entry, state: dict, idle_seconds: float) -> None:
    """The stream's sender: a frame whenever one is asked for, and one after another while
    playing, with at most MAX_IN_FLIGHT unacknowledged and at most 60 a second."""
    loop = asyncio.get_running_loop()
    cursor, sent, last = {}, 0, 0.0
    while True:
        await entry.wake.wait()
        entry.wake.clear()
        if not (entry.playing or entry.need_frame):
            continue
        if entry.playing and time.monotonic() - entry.last_input > idle_seconds:
            entry.changed(stop=True, notice=f"paused: no input for {idle_seconds:g} s")
        if sent - state["acked"] >= MAX_IN_FLIGHT:
            continue   # the page's next ack wakes us
        wait = last + MIN_FRAME_S - loop.time()
        if wait > 0 and not entry.need_frame:
            await asyncio.sleep(wait)
        last = loop.time()
        entry.need_frame = False
        frame = await asyncio.to_thread(entry.session.advance, entry.playing, cursor)
        if frame["status"] == "diverged":
            entry.playing = False
        sent += 1
        frame.update(frame_no=sent, playing=entry.playing, notice=entry.notice)
        entry.notice = ""
        await ws.send_text(json.dumps(frame))
        if entry.playing:
            entry.wake.set()
