"""Fashion-MNIST / MNIST: search path, verified downloads from a local server, real files."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

from mlplab.data import DataError, cache, load
from mlplab.data.mnist import FASHION_MNIST, FILES

DEBIAN = Path("/usr/share/datasets/fashion-mnist")
HAVE_DEBIAN = all((DEBIAN / f).is_file() for f in FILES.values())


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _no_partial_files(folder: Path) -> bool:
    return not any(p.name.endswith(".part") for p in folder.rglob("*"))


def test_explicit_path(tmp_path, mnist_files):
    arrays = mnist_files.write(tmp_path / "fm", n_train=20, n_test=5)
    ds = load("fashion-mnist", path=tmp_path / "fm", offline=True)
    assert ds.X.shape == (25, 28, 28) and ds.X.dtype == np.uint8
    assert ds.y.dtype == np.int64 and ds.n_classes == 10
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    Xtr, ytr = ds.split("train")
    Xte, yte = ds.split("test")
    np.testing.assert_array_equal(Xtr, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(yte, arrays["t10k-labels-idx1-ubyte"])
    np.testing.assert_array_equal(Xte, arrays["t10k-images-idx3-ubyte"])
    assert np.shares_memory(Xtr, ds.X)  # official splits are views, not copies
    assert ds.source == str(tmp_path / "fm")


def test_uncompressed_files_and_subfolder_layouts(tmp_path, mnist_files):
    mnist_files.write(tmp_path / "raw", gz=False)
    assert load("mnist", path=tmp_path / "raw", offline=True).n_samples == 25
    mnist_files.write(tmp_path / "root" / "mnist")  # path/<name>
    assert load("mnist", path=tmp_path / "root", offline=True).n_samples == 25
    mnist_files.write(tmp_path / "tv" / "FashionMNIST" / "raw")  # torchvision's layout
    assert load("fashion-mnist", path=tmp_path / "tv", offline=True).n_samples == 25


def test_search_path_env_and_cache(tmp_path, mnist_files, monkeypatch, isolated_data_env):
    # not in $MLPLAB_DATA or the cache: offline must fail with a clear message
    monkeypatch.setenv("MLPLAB_DATA", str(tmp_path / "data"))
    with pytest.raises(DataError) as e:
        load("mnist", offline=True)
    msg = str(e.value)
    assert "offline=True" in msg and "--data-dir" in msg and "\n" not in msg
    mnist_files.write(tmp_path / "data" / "mnist", n_train=11)
    assert load("mnist", offline=True).n_samples == 16
    monkeypatch.delenv("MLPLAB_DATA")
    mnist_files.write(isolated_data_env / "mnist", n_train=13)  # the cache folder
    assert load("mnist", offline=True).n_samples == 18


def test_explicit_path_is_authoritative(tmp_path, mnist_files, monkeypatch):
    mnist_files.write(tmp_path / "data" / "mnist")
    monkeypatch.setenv("MLPLAB_DATA", str(tmp_path / "data"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="offline=True"):
        load("mnist", path=tmp_path / "empty", offline=True)


def test_labels_and_images_disagree(tmp_path, mnist_files):
    folder = tmp_path / "fm"
    mnist_files.write(folder)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(mnist_files.idx(np.zeros(19, np.uint8)), mtime=0)
    )
    with pytest.raises(DataError, match="19 labels for 20 images"):
        load("fashion-mnist", path=folder, offline=True)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(mnist_files.idx(np.full(20, 12, np.uint8)), mtime=0)
    )
    with pytest.raises(DataError, match="label 12 out of range"):
        load("fashion-mnist", path=folder, offline=True)


def test_swapped_files_bad_magic(tmp_path, mnist_files):
    folder = tmp_path / "fm"
    mnist_files.write(folder)
    labels = (folder / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(labels)
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz: bad IDX magic number 2049"):
        load("fashion-mnist", path=folder, offline=True)


# ------------------------------------------------------------------------- downloads
def _serve_set(www: Path, mnist_files, corrupt: str | None = None) -> dict[str, str]:
    """Write a small set to the server folder; return md5s of the GOOD files."""
    mnist_files.write(www)
    sums = {name: _md5(www / name) for name in FILES.values()}
    if corrupt:
        data = bytearray((www / corrupt).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (www / corrupt).write_bytes(bytes(data))
    return sums


def test_download_verified_into_path(tmp_path, http_server, mnist_files):
    url, www = http_server
    sums = _serve_set(www, mnist_files)
    dest = tmp_path / "dl"
    ds = load("fashion-mnist", path=dest, mirror=url, checksums=sums)
    assert ds.n_samples == 25
    assert sorted(p.name for p in dest.iterdir()) == sorted(FILES.values())
    for name in FILES.values():
        assert _md5(dest / name) == sums[name]
    # a second load reads the downloaded files, even with the server gone
    assert load("fashion-mnist", path=dest, offline=True).n_samples == 25


def test_download_into_cache_with_sha256_and_env_mirror(http_server, mnist_files, monkeypatch,
                                                         isolated_data_env):
    url, www = http_server
    mnist_files.write(www)
    sums = {n: "sha256:" + hashlib.sha256((www / n).read_bytes()).hexdigest()
            for n in FILES.values()}
    monkeypatch.setenv("MLPLAB_MNIST_MIRROR", url)
    ds = load("mnist", checksums=sums)
    assert ds.source == str(isolated_data_env / "mnist")
    assert ds.class_names == [str(d) for d in range(10)]


def test_corrupted_download_rejected_and_not_left(tmp_path, http_server, mnist_files):
    url, www = http_server
    sums = _serve_set(www, mnist_files, corrupt="t10k-images-idx3-ubyte.gz")
    dest = tmp_path / "dl"
    with pytest.raises(DataError) as e:
        load("fashion-mnist", path=dest, mirror=url, checksums=sums)
    msg = str(e.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and "checksum mismatch" in msg
    assert "discarded" in msg and "\n" not in msg
    assert not (dest / "t10k-images-idx3-ubyte.gz").exists()
    assert _no_partial_files(dest)
    # the files that did verify are kept; once the mirror is fixed only the bad one is fetched
    assert (dest / "train-images-idx3-ubyte.gz").is_file()
    mnist_files.write(www)
    assert load("fashion-mnist", path=dest, mirror=url, checksums=sums).n_samples == 25


def test_official_checksums_reject_foreign_files(tmp_path, http_server, mnist_files):
    url, www = http_server
    mnist_files.write(www)  # not the official bytes: the built-in md5 table must refuse them
    dest = tmp_path / "dl"
    with pytest.raises(DataError, match="checksum mismatch"):
        load("fashion-mnist", path=dest, mirror=url)
    assert not dest.exists() or not any(dest.iterdir())


def test_http_404_and_unreachable(tmp_path, http_server, mnist_files):
    url, www = http_server
    sums = {n: "0" * 32 for n in FILES.values()}
    with pytest.raises(DataError, match="HTTP 404"):
        load("fashion-mnist", path=tmp_path / "a", mirror=url, checksums=sums)
    with pytest.raises(DataError, match="cannot reach the server"):
        load("fashion-mnist", path=tmp_path / "b", checksums=sums)  # the closed mirror
    assert _no_partial_files(tmp_path)


def test_missing_checksum_refuses_download(tmp_path, http_server, mnist_files):
    url, www = http_server
    sums = _serve_set(www, mnist_files)
    del sums["train-labels-idx1-ubyte.gz"]
    with pytest.raises(DataError, match="no checksum known"):
        load("fashion-mnist", path=tmp_path / "dl", mirror=url, checksums=sums)


def test_download_helper_atomic(tmp_path, http_server):
    url, www = http_server
    (www / "blob").write_bytes(b"x" * 3_000_000)
    good = hashlib.md5(b"x" * 3_000_000).hexdigest()
    target = tmp_path / "c" / "blob"
    assert cache.download(url + "blob", target, good) == target
    assert target.read_bytes() == b"x" * 3_000_000
    other = tmp_path / "c" / "blob2"
    with pytest.raises(DataError):
        cache.download(url + "blob", other, "f" * 64)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["blob"]


def test_checksum_helpers(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"abc")
    assert cache.matches(p, "900150983cd24fb0d6963f7d28e17f72")
    assert cache.matches(b"abc", "sha256:" + hashlib.sha256(b"abc").hexdigest())
    assert not cache.matches(p, "0" * 64)
    with pytest.raises(ValueError, match="Invalid checksum"):
        cache.matches(p, "xyz")


def test_cache_root_env(monkeypatch, tmp_path):
    monkeypatch.delenv("MLPLAB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_root() == tmp_path / "mlplab"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_root() == tmp_path / "home" / ".cache" / "mlplab"


def test_search_order_includes_debian_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("MLPLAB_DATA", str(tmp_path))
    dirs = cache.search_dirs("fashion-mnist", None, FASHION_MNIST.system_dirs)
    assert dirs[0] == tmp_path / "fashion-mnist" and dirs[1] == tmp_path
    assert dirs[-1] == DEBIAN


# ------------------------------------------------------------------------- the real files
@pytest.mark.skipif(not HAVE_DEBIAN, reason="Debian's dataset-fashion-mnist is not installed")
def test_real_fashion_mnist_from_debian():
    ds = load("fashion-mnist", offline=True, verify=True)  # verify: official contents (md5)
    assert ds.source == str(DEBIAN)
    assert ds.X.shape == (70_000, 28, 28) and ds.X.dtype == np.uint8
    assert len(ds.splits["train"]) == 60_000 and len(ds.splits["test"]) == 10_000
    assert ds.n_classes == 10
    assert ds.class_counts("train").tolist() == [6000] * 10
    assert ds.class_counts("test").tolist() == [1000] * 10
    # Debian recompressed the .gz files (new gzip header), so their md5s differ from the
    # official ones while the decompressed contents match the official raw md5s (verify=True).
    assert _md5(DEBIAN / "train-labels-idx1-ubyte.gz") != FASHION_MNIST.md5_gz[
        "train-labels-idx1-ubyte.gz"]


def test_path_that_is_a_file_or_unwritable(tmp_path, http_server, mnist_files):
    f = tmp_path / "train-images-idx3-ubyte.gz"
    f.write_bytes(b"x")
    with pytest.raises(DataError, match="not a folder"):
        load("fashion-mnist", path=f)
    url, www = http_server
    sums = _serve_set(www, mnist_files)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the download folder should go")
    with pytest.raises(DataError, match="cannot write the download there"):
        load("fashion-mnist", path=blocker / "sub", mirror=url, checksums=sums)
