"""The `mlplab playground` command: lazy imports, a busy port, the warning for a public host."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="the playground extra (uvicorn) is not installed")
MLPLAB = str(Path(sys.executable).with_name("mlplab"))


def test_importing_the_cli_does_not_import_fastapi():
    code = ("import sys, mlplab.cli; print(json.dumps([m for m in ('fastapi', 'uvicorn', "
            "'mlplab.playground.server') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True,
                         text=True, check=True).stdout
    assert json.loads(out) == []


def test_a_busy_port_is_one_error_line_and_exit_2():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([MLPLAB, "playground", "--port", str(port), "--no-browser"],
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"error: --host 127.0.0.1 --port {port}: cannot listen there (Address already in use); "
        "choose another --port"]


def test_a_public_host_is_served_with_a_warning():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([MLPLAB, "playground", "--host", "0.0.0.0", "--port", str(port),
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert b"mlplab playground" in page
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert err.startswith("warning: serving on 0.0.0.0: anyone who can reach this machine")
    assert f"mlplab playground on http://127.0.0.1:{port}/" in out
