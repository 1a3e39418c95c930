"""Image folders and FER-2013 on real PNG/JPEG trees written with Pillow."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mlplab.data import DataError, load

FER = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]


def _png(path, value, size=(48, 48), mode="L"):
    """size is (width, height); value fills the image (a colour tuple for RGB)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value).save(path)
    return path


def _fer_tree(root, per_class=2, size=(48, 48), skip_test=("fear",)):
    """FER-2013's course layout: test/ lacks 'fear'. Pixel value = 10 * class index."""
    for k, cls in enumerate(FER):
        for i in range(per_class):
            _png(root / "train" / cls / f"im{i}.png", 10 * k, size)
            if cls not in skip_test:
                _png(root / "test" / cls / f"im{i}.png", 10 * k + 1, size)
    return root


def test_fer_layout_and_class_mapping(tmp_path):
    root = _fer_tree(tmp_path / "FER-2013")
    ds = load("fer2013", path=root)
    assert ds.class_names == FER  # sorted names of train/
    assert ds.X.dtype == np.uint8 and ds.X.shape == (14 + 12, 48, 48)
    assert len(ds.splits["train"]) == 14 and len(ds.splits["test"]) == 12
    # every image's pixel value tells its class: labels must agree, in test too (no 'fear')
    Xtr, ytr = ds.split("train")
    np.testing.assert_array_equal(Xtr[:, 0, 0], 10 * ytr)
    Xte, yte = ds.split("test")
    np.testing.assert_array_equal(Xte[:, 0, 0], 10 * yte + 1)
    assert 2 not in yte.tolist() and set(yte.tolist()) == {0, 1, 3, 4, 5, 6}
    assert ds.class_counts("test").tolist() == [2, 2, 0, 2, 2, 2, 2]
    assert ds.source == str(root)


def test_resize_to_course_size_keeps_uint8(tmp_path):
    root = _fer_tree(tmp_path / "fer", per_class=1)
    ds = load("fer2013", path=root, image_size=180)
    assert ds.X.shape == (13, 180, 180) and ds.X.dtype == np.uint8
    assert ds.n_features == 32_400
    rect = load("image-folder", path=root, image_size=(20, 30))
    assert rect.X.shape == (13, 20, 30)


def test_jpeg_and_color_and_grayscale_conversion(tmp_path):
    root = tmp_path / "imgs"
    _png(root / "train" / "red" / "a.jpg", (255, 0, 0), (16, 8), "RGB")
    _png(root / "train" / "blue" / "b.JPEG", (0, 0, 255), (16, 8), "RGB")
    _png(root / "test" / "red" / "c.png", (255, 0, 0), (16, 8), "RGB")
    gray = load("image-folder", path=root)
    assert gray.X.shape == (3, 8, 16) and gray.class_names == ["blue", "red"]
    # ITU-R 601-2 luma: L = R * 299/1000 + G * 587/1000 + B * 114/1000
    assert abs(int(gray.X[1, 4, 4]) - 76) <= 2 and abs(int(gray.X[0, 4, 4]) - 29) <= 2
    rgb = load("image-folder", path=root, grayscale=False)
    assert rgb.X.shape == (3, 3, 8, 16) and rgb.X.dtype == np.uint8
    assert rgb.X[0, 2].mean() > 200 and rgb.X[1, 0].mean() > 200  # blue, then red


def test_flat_layout_is_one_train_split(tmp_path):
    for cls in ("cat", "dog"):
        for i in range(3):
            _png(tmp_path / "pets" / cls / f"{i}.png", i, (8, 8))
    (tmp_path / "pets" / "README.txt").write_text("not an image")
    (tmp_path / "pets" / "cat" / "notes.txt").write_text("ignored")
    ds = load("image-folder", path=tmp_path / "pets")
    assert list(ds.splits) == ["train"] and ds.n_samples == 6
    assert ds.y.tolist() == [0, 0, 0, 1, 1, 1]


def test_many_images_threaded_read(tmp_path):
    for i in range(150):
        _png(tmp_path / "m" / "train" / f"c{i % 3}" / f"{i:03d}.png", i, (6, 5))
    ds = load("image-folder", path=tmp_path / "m")
    assert ds.X.shape == (150, 5, 6)
    names = [f"{i:03d}" for i in range(150)]
    order = sorted(range(150), key=lambda i: (i % 3, names[i]))
    np.testing.assert_array_equal(ds.X[:, 0, 0], order)


# ---------------------------------------------------------------------------- bad input
def test_empty_class_folder(tmp_path):
    root = _fer_tree(tmp_path / "fer", per_class=1)
    (root / "test" / "fear").mkdir()
    with pytest.raises(DataError) as e:
        load("fer2013", path=root)
    msg = str(e.value)
    assert str(root / "test" / "fear") in msg and "holds no images" in msg and "\n" not in msg


def test_unreadable_image(tmp_path):
    root = _fer_tree(tmp_path / "fer", per_class=1)
    bad = root / "train" / "happy" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    with pytest.raises(DataError) as e:
        load("fer2013", path=root)
    assert str(bad) in str(e.value) and "cannot read the image" in str(e.value)


def test_truncated_jpeg(tmp_path):
    root = tmp_path / "t"
    good = _png(root / "train" / "a" / "x.jpg", (10, 20, 30), (64, 64), "RGB")
    _png(root / "train" / "b" / "y.jpg", (10, 20, 30), (64, 64), "RGB")   # a second class
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 3])
    with pytest.raises(DataError, match="x.jpg: cannot read the image"):
        load("image-folder", path=root)


def test_mixed_sizes_need_a_resize(tmp_path):
    root = tmp_path / "mixed"
    _png(root / "train" / "a" / "1.png", 0, (48, 48))
    _png(root / "train" / "b" / "2.png", 0, (40, 30))
    with pytest.raises(DataError) as e:
        load("image-folder", path=root)
    msg = str(e.value)
    assert "2.png: image is 40x30" in msg and "48x48" in msg and "image_size" in msg
    assert load("image-folder", path=root, image_size=32).X.shape == (2, 32, 32)


def test_test_class_unknown_to_train(tmp_path):
    root = _fer_tree(tmp_path / "fer", per_class=1)
    _png(root / "test" / "contempt" / "x.png", 0)
    with pytest.raises(DataError, match="class 'contempt' is not among the training classes"):
        load("fer2013", path=root)


def test_missing_folder_or_train(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load("image-folder", path=tmp_path / "nope")
    _png(tmp_path / "only_test" / "test" / "a" / "x.png", 0)
    with pytest.raises(DataError, match="no train/ folder"):
        load("image-folder", path=tmp_path / "only_test")
    (tmp_path / "empty" / "train").mkdir(parents=True)
    with pytest.raises(DataError, match="no class folders"):
        load("image-folder", path=tmp_path / "empty")


@pytest.mark.parametrize("size", [0, (3,), "big", (4, -1)])
def test_bad_image_size(tmp_path, size):
    root = _fer_tree(tmp_path / "fer", per_class=1)
    with pytest.raises(ValueError, match="Invalid image_size"):
        load("fer2013", path=root, image_size=size)


def test_bad_image_among_many_names_the_first_bad_file(tmp_path):
    for i in range(120):
        _png(tmp_path / "m" / "train" / "c" / f"{i:03d}.png", i, (6, 5))
    _png(tmp_path / "m" / "train" / "d" / "x.png", 0, (6, 5))   # a second class
    for i in (7, 90):
        (tmp_path / "m" / "train" / "c" / f"{i:03d}.png").write_bytes(b"junk")
    with pytest.raises(DataError, match="007.png: cannot read the image"):
        load("image-folder", path=tmp_path / "m")
