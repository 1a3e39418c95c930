"""Every route of the playground's server through FastAPI's test client, good and bad input."""

import contextlib
import json
import time

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the playground extra (fastapi) is not installed")
from fastapi.testclient import TestClient  # noqa: E402

from mlplab.playground.schema import MAX_BODY_BYTES, MAX_UPLOAD_BYTES, options  # noqa: E402
from mlplab.playground.server import create_app  # noqa: E402
from mlplab.playground.session import previews  # noqa: E402


@pytest.fixture
def client():
    with TestClient(create_app(max_sessions=3)) as c:
        yield c


def _session(client, **config) -> str:
    r = client.post("/api/sessions", json=config)
    assert r.status_code == 200, r.text
    return r.json()["session"]


def test_page_and_its_static_files_are_served_with_the_options_inlined(client):
    r = client.get("/")
    assert r.status_code == 200 and "<canvas id=\"heatmap\"" in r.text
    inlined = r.text.split('<script id="options" type="application/json">')[1].split("</script>")[0]
    # the page's options are the API's: the controls' choices and the data thumbnails
    assert json.loads(inlined) == client.get("/api/options").json() == \
        {**options(), "previews": previews()}
    for name in ("app.js", "api.js", "draw.js", "network.js", "state.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert "http" not in client.get("/static/app.js").text.replace("location.protocol", "")


def test_options_list_choices_and_bounds(client):
    o = client.get("/api/options").json()
    assert o["max_layers"] == 6 and o["max_units"] == 8 and o["max_classes"] == 6
    # every optimizer of mlplab.optim and SGD's two presets; every hidden activation
    assert {"sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam",
            "adamw"} == set(o["optimizers"])
    assert {"gelu", "silu", "leakyrelu", "relu", "tanh", "sigmoid", "softplus",
            "identity"} == set(o["activations"])
    # each with its display name from the records, for the page's selects
    assert o["labels"]["leakyrelu"] == "Leaky ReLU" and o["labels"]["nesterov"] == "Nesterov"
    assert set(o["optimizers"]) | set(o["activations"]) <= set(o["labels"])


def test_tensorflow_playgrounds_linear_is_read_as_identity():
    from mlplab.playground.schema import Config

    assert Config(activation="linear").activation == "identity"
    with pytest.raises(ValueError, match="unknown activation 'softmax'; choose one of"):
        Config(activation="softmax")


def test_options_carry_a_thumbnail_of_every_generated_data_set(client):
    o = client.get("/api/options").json()
    previews = o["previews"]
    assert set(previews) == set(o["datasets"]) - {"upload"}
    for name, points in previews.items():
        a = np.array(points)
        assert a.shape == (100, 3), name
        assert a[:, :2].min() >= 0 and a[:, :2].max() <= 1, name   # the unit square
        if o["datasets"][name]["problem"] == "classification":
            assert set(a[:, 2]) <= set(range(o["defaults"]["classes"])), name
        else:
            assert np.abs(a[:, 2]).max() == 1.0, name               # scaled to [-1, 1]
    # the two-arm XOR: four clusters, one per quadrant, opposite quadrants share a class
    xor = np.array(previews["xor"])
    quadrant = (xor[:, 0] > 0.5) * 2 + (xor[:, 1] > 0.5)
    assert {len(set(xor[quadrant == q, 2])) for q in range(4)} == {1}
    assert len({xor[quadrant == q, 2][0] for q in range(4)}) == 2


def test_create_returns_a_setup_with_points_and_network(client):
    r = client.post("/api/sessions", json={"dataset": "spiral", "classes": 4, "layers": [5]})
    setup = r.json()["setup"]
    assert setup["spec"] == "2-5-tanh-4" and setup["loss"] == "cross_entropy"
    assert len(setup["points"]["x"]) == 500 and setup["widths"] == [2, 5, 4]


@pytest.mark.parametrize("config, words", [
    ({"layers": [4, 4, 4, 4, 4, 4, 4]}, "layers: List should have at most 6"),
    ({"layers": [9]}, "1 to 8 units"),
    ({"lr": 0}, "lr: Input should be greater than 0"),
    ({"lr": 1e9}, "lr: Input should be less than or equal to 10"),
    ({"points": 10**7}, "points: Input should be less than or equal to 2000"),
    ({"classes": 7}, "classes"),
    ({"features": []}, "features"),
    ({"features": ["x1", "x1"]}, "twice"),
    ({"activation": "swish"}, "activation"),
    ({"dataset": "plane"}, "regression problem"),
    ({"noise": 2.5}, "noise for circle must be at most 0.3"),
    ({"path": "/etc/passwd"}, "Extra inputs are not permitted"),
    ({"seed": -1}, "seed"),
])
def test_bad_configs_get_one_line_422(client, config, words):
    r = client.post("/api/sessions", json=config)
    assert r.status_code == 422
    assert words in r.json()["detail"] and "\n" not in r.json()["detail"]


def test_config_rebuilds_the_session(client):
    sid = _session(client)
    r = client.put(f"/api/sessions/{sid}/config", json={"layers": [], "features": ["x1^2"]})
    assert r.status_code == 200 and r.json()["spec"] == "1-1"
    r = client.put(f"/api/sessions/{sid}/config", json={"layers": [0]})
    assert r.status_code == 422


def test_unknown_session_is_404_everywhere(client):
    for method, path, body in [("put", "/api/sessions/nope/config", {}),
                               ("post", "/api/sessions/nope/upload", {"text": "a"}),
                               ("post", "/api/sessions/nope/explain", {"x1": 0, "x2": 0}),
                               ("get", "/api/sessions/nope/export.toml", None),
                               ("delete", "/api/sessions/nope", None)]:
        r = client.request(method, path, json=body)
        assert r.status_code == 404 and "no such session" in r.json()["detail"]


CSV = "x,y,label\n" + "".join(f"{np.cos(i):.4f},{np.sin(i):.4f},{i % 3}\n" for i in range(60))


def test_upload_good_bad_and_oversized(client):
    sid = _session(client)
    r = client.post(f"/api/sessions/{sid}/upload", json={"filename": "mine.csv", "text": CSV})
    assert r.status_code == 200 and r.json()["classes"] == ["0", "1", "2"]
    assert r.json()["config"]["dataset"] == "upload"
    r = client.post(f"/api/sessions/{sid}/upload", json={"filename": "bad.csv",
                                                          "text": "a,b\n1,2\n"})
    assert r.status_code == 400 and "bad.csv" in r.json()["detail"]
    big = "x" * (MAX_UPLOAD_BYTES + 1)
    r = client.post(f"/api/sessions/{sid}/upload", json={"text": big})
    assert r.status_code == 422 and "text" in r.json()["detail"]
    huge = "x" * (MAX_BODY_BYTES + 1)
    r = client.post(f"/api/sessions/{sid}/upload", content=huge,
                    headers={"content-type": "application/json"})
    assert r.status_code == 413
    # the session kept the good upload
    assert client.put(f"/api/sessions/{sid}/config",
                      json={"dataset": "upload", "layers": [3]}).json()["spec"] == "2-3-tanh-3"


def test_explain_and_its_refusal(client):
    sid = _session(client, layers=[2])
    r = client.post(f"/api/sessions/{sid}/explain", json={"x1": 0.5, "x2": 0.5})
    assert r.status_code == 200 and r.json()["text"].startswith("mlplab explain 2-2-tanh-1")
    client.put(f"/api/sessions/{sid}/config", json={"dropout": 0.3})
    r = client.post(f"/api/sessions/{sid}/explain", json={"x1": 0.5, "x2": 0.5})
    assert r.status_code == 400 and "dropout" in r.json()["detail"]
    r = client.post(f"/api/sessions/{sid}/explain", json={"x1": "a", "x2": 0})
    assert r.status_code == 422


def test_exports(client):
    sid = _session(client)
    r = client.get(f"/api/sessions/{sid}/export.toml")
    assert r.status_code == 200 and 'name = "circles"' in r.text
    assert "attachment" in r.headers["content-disposition"]
    assert client.get(f"/api/sessions/{sid}/export.py").text.startswith('"""The mlplab')
    assert client.get(f"/api/sessions/{sid}/export.npz").content[:2] == b"PK"
    assert client.get(f"/api/sessions/{sid}/export.exe").status_code == 404


def test_at_most_max_sessions_with_open_streams(client):
    ids = [_session(client) for _ in range(3)]
    _session(client)   # room is made by dropping the longest idle session without a stream
    assert client.get(f"/api/sessions/{ids[0]}/export.toml").status_code == 404
    with contextlib.ExitStack() as stack:
        for sid in list(client.app.state.manager.entries):
            ws = stack.enter_context(client.websocket_connect(f"/api/sessions/{sid}/stream"))
            ws.receive_json()
        r = client.post("/api/sessions", json={})
        assert r.status_code == 429 and "at most 3 sessions" in r.json()["detail"]


def test_delete(client):
    sid = _session(client)
    assert client.delete(f"/api/sessions/{sid}").status_code == 200
    assert client.delete(f"/api/sessions/{sid}").status_code == 404


def _frame(ws, ack=True):
    while True:
        msg = ws.receive_json()
        if msg["type"] == "frame":
            if ack:
                ws.send_json({"type": "ack", "frame": msg["frame_no"]})
            return msg
        assert msg["type"] == "error", msg
        return msg


def test_stream_play_step_reset_lr_and_bad_messages(client):
    sid = _session(client, lr=0.3)
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        first = _frame(ws)
        assert first["epoch"] == 0 and first["frame_no"] == 1 and not first["playing"]
        ws.send_json({"type": "step"})
        f = _frame(ws)
        assert f["epoch"] == 1 and f["batch"] == 0 and len(f["history"]) == 1
        ws.send_json({"type": "play"})
        epochs = [_frame(ws)["epoch"] for _ in range(30)]
        assert epochs == sorted(epochs) and epochs[-1] > 1
        ws.send_json({"type": "lr", "lr": 0.01})
        while _frame(ws)["lr"] != 0.01:
            pass
        ws.send_json({"type": "pause"})
        while _frame(ws)["playing"]:
            pass
        ws.send_json({"type": "reset"})
        while (f := _frame(ws))["epoch"] != 0:
            pass
        assert f["history_from"] == 0 and f["lr"] == 0.01
        for bad, words in [({"type": "fly"}, "type"), ({"type": "lr", "lr": -1}, "lr"),
                           ({"type": "ack", "extra": 1}, "Extra inputs")]:
            ws.send_json(bad)
            assert words in _frame(ws)["message"]
        ws.send_text("{not json")
        assert _frame(ws)["type"] == "error"
        ws.send_text("x" * 5000)
        assert _frame(ws)["message"] == "message too long"


def test_stream_never_runs_more_than_two_frames_ahead(client):
    sid = _session(client)
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        _frame(ws, ack=False)   # frame 1, never acknowledged
        ws.send_json({"type": "play"})
        f2 = _frame(ws, ack=False)
        assert f2["frame_no"] == 2
        # two frames unacknowledged: the server neither sends nor trains until an ack
        entry = client.app.state.manager.get(sid)
        held = (entry.session.epoch, entry.session.batch)
        time.sleep(0.3)
        assert (entry.session.epoch, entry.session.batch) == held and entry.playing
        ws.send_json({"type": "ack", "frame": 1})
        assert _frame(ws, ack=False)["frame_no"] == 3   # one ack, one more frame
        assert entry.playing


def test_stream_of_unknown_session_closes(client):
    with client.websocket_connect("/api/sessions/nope/stream") as ws:
        assert "no such session" in ws.receive_json()["message"]


def test_idle_sessions_are_paused_and_dropped():
    with TestClient(create_app(max_sessions=2, idle_seconds=0.2)) as client:
        sid = _session(client)
        with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
            _frame(ws)
            ws.send_json({"type": "play"})
            time.sleep(0.3)
            while (f := _frame(ws))["playing"]:
                pass
            assert "no input" in f["notice"]
        time.sleep(0.5)   # the janitor runs every idle_seconds here
        assert sid not in client.app.state.manager.entries
        assert client.get(f"/api/sessions/{sid}/export.toml").status_code == 404
