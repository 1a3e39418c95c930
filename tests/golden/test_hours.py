"""`mlplab explain --example hours` (course unit 001): softmax regression on the hours tables,
checked against the slide's update written out by hand, theta -= lr x (y_hat - y)^T."""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.explain.presets import HOURS_ASKED, HOURS_PASS, HOURS_SCORE, hours, hours_fit
from mlplab.explain.render import render


def by_hand(hours_, labels, theta, epochs, lr=0.1):
    theta = np.array(theta, dtype=np.float64)
    eye = np.eye(theta.shape[1])
    for _ in range(epochs):
        for h, y in zip(hours_, labels):
            x = np.array([1.0, h])
            z = theta.T @ x
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            theta -= lr * np.outer(x, p - eye[y])
    return theta


@pytest.mark.parametrize("table, theta, epochs", [
    (HOURS_PASS, [[0.1, 0.2], [0.3, 0.4]], 100),
    (HOURS_SCORE, np.zeros((2, 4)), 1000),
])
def test_the_engine_trains_as_the_slide_writes_the_update(table, theta, epochs):
    _, rows = hours_fit(*table, theta, epochs)
    assert [r[0] for r in rows][-1] == epochs
    np.testing.assert_allclose(rows[-1][3], by_hand(*table, theta, epochs), rtol=0, atol=1e-12)
    assert rows[-1][2] == 1.0   # every row of the table right after training


def test_the_first_step_is_the_slides_and_the_questions_are_answered():
    # the slide's first step, lr 0.1 (SPEC section 2): [[0.15374, 0.14626], [0.32687, 0.37313]]
    np.testing.assert_allclose(by_hand([0.5], [0], [[0.1, 0.2], [0.3, 0.4]], 1),
                               [[0.15374, 0.14626], [0.32687, 0.37313]], atol=5e-6)
    text = render(hours(), "text")
    assert HOURS_ASKED == (0.25, 4.5)
    # the slide's question, answered by the by-hand thetas: pass/fail (0.25 h fails, P about
    # 0.968; 4.5 h passes) and score (0 and 3)
    for table, theta, epochs, answers in ((HOURS_PASS, [[0.1, 0.2], [0.3, 0.4]], 100, [0, 1]),
                                          (HOURS_SCORE, np.zeros((2, 4)), 1000, [0, 3])):
        th = by_hand(*table, theta, epochs)
        for q, answer in zip(HOURS_ASKED, answers):
            z = th.T @ np.array([1.0, q])
            p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
            assert int(p.argmax()) == answer
            assert " ".join([f"{q:g}", *(f"{v:.4f}" for v in p), str(answer)]) in \
                " ".join(text.split()), (q, p)
    assert "L = -ln p_y = -ln 0.25 = 1.3863" in text   # ln 4: four classes, theta 0
