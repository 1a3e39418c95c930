"""`mlplab explain --example cnn-filter` (course unit 003): the filtering and pooling slides."""

from __future__ import annotations

import numpy as np

from mlplab.explain.presets import (
    DIAGONAL_FILTER,
    SLIDE_MAP,
    SLIDE_POOLED,
    _truncate,
    cnn_filter,
    x_image,
)
from mlplab.explain.render import render


def by_hand_map() -> np.ndarray:
    img = x_image()
    return np.array([[(img[r:r + 3, c:c + 3] * DIAGONAL_FILTER).sum() / 9 for c in range(7)]
                     for r in range(7)])


def test_the_map_is_the_mean_of_the_products_and_the_slides_truncate_it():
    m = by_hand_map()
    assert m[1, 1] == 1.0 and m[0, 0] == 7 / 9 and m[0, 4] == 5 / 9
    np.testing.assert_array_equal(_truncate(m), SLIDE_MAP)          # all 49
    np.testing.assert_array_equal(np.round(m[0, 4], 2), 0.56)      # rounding would not match
    pooled = np.array([[np.pad(m, ((0, 1), (0, 1)))[2 * i:2 * i + 2, 2 * j:2 * j + 2].max()
                        for j in range(4)] for i in range(4)])
    np.testing.assert_array_equal(_truncate(pooled), SLIDE_POOLED)  # all 16


def test_the_preset_prints_the_engines_numbers():
    text = render(cnn_filter(), "text")
    words = " ".join(text.split())   # the closing lines are wrapped to the terminal
    assert "49 of the feature map's 49 values and 16 of the pooled map's 16" in words
    assert "the patch with 5/9 (5/9 = 0.5556 truncated)    0.55   0.5556" in text
    assert "  1    0.7778   -0.1111    0.1111    0.3333    0.5556   -0.1111    0.3333" in text
