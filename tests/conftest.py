"""Fixtures for the data tests: an isolated cache, small IDX sets, a local HTTP server.

No test reaches the network: the mirrors point at a closed local port unless a test starts
its own server on 127.0.0.1.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import threading

import numpy as np
import pytest

CLOSED_MIRROR = "http://127.0.0.1:9/"  # discard port: nothing listens, connections are refused


@pytest.fixture(autouse=True)
def isolated_data_env(tmp_path_factory, monkeypatch):
    """Point the cache at a temporary folder and every mirror at a closed local port."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("MLPLAB_CACHE", str(cache))
    monkeypatch.delenv("MLPLAB_DATA", raising=False)
    monkeypatch.setenv("MLPLAB_FASHION_MNIST_MIRROR", CLOSED_MIRROR)
    monkeypatch.setenv("MLPLAB_MNIST_MIRROR", CLOSED_MIRROR)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return cache


def idx_bytes(arr: np.ndarray, magic: int | None = None) -> bytes:
    """Encode a uint8 array as an IDX file (magic 0x0000 08 ndim unless given)."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 + arr.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return header + arr.tobytes()


def write_mnist_set(folder, n_train=20, n_test=5, seed=0, gz=True, size=28):
    """Write the four IDX files of a small MNIST-like set; return the arrays written."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, size, size), dtype=np.uint8),
        "train-labels-idx1-ubyte": (np.arange(n_train) % 10).astype(np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, size, size), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": (np.arange(n_test) % 10).astype(np.uint8),
    }
    for name, arr in arrays.items():
        data = idx_bytes(arr)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data, mtime=0))
        else:
            (folder / name).write_bytes(data)
    return arrays


@pytest.fixture
def mnist_files():
    """The helpers above, for tests: ``mnist_files.write(folder)``, ``mnist_files.idx(arr)``."""

    class Helpers:
        write = staticmethod(write_mnist_set)
        idx = staticmethod(idx_bytes)

    return Helpers


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def http_server(tmp_path):
    """Serve ``tmp_path / "www"`` on 127.0.0.1 (an ephemeral port) from a thread.

    Yields ``(base_url, folder)``; the test writes the files to serve into ``folder``.
    """
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def one_torch_thread():
    """For the twin's tests (tiny models): one torch thread, since on a busy 2-core machine
    torch's OpenMP threads spin against other jobs, about 10x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
