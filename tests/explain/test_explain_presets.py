"""The course's worked examples (SPEC.md section 2) through ``mlplab explain --example``.

Numbers are read from the structured trace, not parsed from text; the text checks only that
the key values and the slide-vs-engine lines are printed.
"""

import numpy as np
import pytest

from mlplab.explain import PRESETS, get_preset
from mlplab.explain.core import ExplainError
from mlplab.explain.render import render


def _new(step, key):
    return {u.key: u.new for u in step.updates}[key]


def test_bce_step_numbers():
    expl = get_preset("bce-step").build(1)
    s = expl.parts[0].trace.steps[0]
    np.testing.assert_allclose(s.layers[0].z[0], [0.4, 0.4])
    assert s.layers[1].z[0, 0] == pytest.approx(0.18)
    assert s.layers[1].a[0, 0] == pytest.approx(0.5449, abs=5e-5)
    assert s.loss.value == pytest.approx(0.7872, abs=5e-5)
    np.testing.assert_allclose(_new(s, "0.weight"), [[0.0946, 0.0891], [0.0946, 0.0891]],
                               atol=5e-5)
    np.testing.assert_allclose(_new(s, "0.bias"), [0.0946, 0.0946], atol=5e-5)
    np.testing.assert_allclose(_new(s, "2.weight"), [[0.0782, 0.0782]], atol=5e-5)
    np.testing.assert_allclose(_new(s, "2.bias"), [0.0455], atol=5e-5)
    # every number agrees but the backward slide's transposed W_h (checked below)
    assert [c.agrees for c in expl.comparisons] == [True] * 8 + [False]


def test_bce_step_text_shows_the_key_values():
    text = render(get_preset("bce-step").build(1), "text")
    for value in ("0.5449", "0.7872", "0.0946", "0.0891", "0.0782", "0.0455"):
        assert value in text
    assert "∂L/∂W^[2]_11  = δ^[2]_1 · a^[1]_1 = 0.5449 · 0.4 = 0.2180" in text
    assert "W^[2]_11    0.1   0.2180                    0.0782" in text


def test_bce_step_several_steps_lower_the_loss():
    tr = get_preset("bce-step").build(4).parts[0].trace
    assert len(tr.steps) == 4
    losses = tr.losses + [tr.final_loss]
    assert all(b < a for a, b in zip(losses, losses[1:]))


def test_softmax_step_lr_01_and_the_slides_lr_001_numbers():
    expl = get_preset("softmax-step").build(1)
    s = expl.parts[0].trace.steps[0]
    theta = np.array([_new(s, "0.bias"), _new(s, "0.weight")[:, 0]])
    np.testing.assert_allclose(theta, [[0.15374, 0.14626], [0.32687, 0.37313]], atol=5e-6)
    at_01, at_001 = expl.comparisons
    assert not at_01.agrees                      # the slide's numbers are not lr 0.1's
    np.testing.assert_allclose(at_01.also[0][1], [[0.10537, 0.19463], [0.30269, 0.39731]],
                               atol=5e-6)
    assert at_001.agrees and at_001.rule == "truncate"  # they are lr 0.01's, truncated
    text = render(expl, "text", precision=5)
    assert "[[0.105, 0.194], [0.302, 0.397]]" in text
    assert "[[0.15374, 0.14626], [0.32687, 0.37313]]" in text


def test_petal_correct_values_and_the_slides_unrounded_weights():
    expl = get_preset("petal").build(1)
    s = expl.parts[0].trace.steps[0]
    np.testing.assert_allclose(s.layers[0].z, [[1.372, -1.69], [4.698, -5.928], [5.718, -7.254]],
                               atol=5e-4)
    np.testing.assert_allclose(s.layers[1].z[0], [0.439, 0.343, 0.192], atol=5e-4)
    assert s.loss.value == pytest.approx(1.2731, abs=5e-5)
    comps = {c.what: c for c in expl.comparisons}
    assert not comps["hidden pre-activation h = z^[1]"].agrees
    assert not comps["logits z = z^[2]"].agrees
    assert not comps["mean cross-entropy loss"].agrees
    assert comps["mean cross-entropy of the slide's own logits"].agrees   # its arithmetic
    text = render(expl, "text")
    assert "mean cross-entropy loss: from the unrounded weights (table above)" in text
    assert "slide the slipped" not in text and "the slide slipped" not in text
    assert "slide  = 1.269\n  engine = 1.2731" in text
    assert "slide  = [[1.373, -1.696], [4.708, -5.951], [5.731, -7.281]]" in text
    assert "engine = [[1.372, -1.69], [4.698, -5.928], [5.718, -7.254]]" in text


def test_petal_recovers_the_weights_the_slide_computed_with():
    from mlplab.explain.presets import petal_weights_behind_the_slide

    w_h, w_z, res_h, res_z = petal_weights_behind_the_slide()
    np.testing.assert_allclose(w_h, [[0.86, -1.044], [0.416, -0.6525]], atol=5e-4)
    np.testing.assert_allclose(w_z, [0.320, 0.259, 0.142], atol=5e-4)
    assert res_h < 6.1e-4 and res_z < 6e-4   # the slide's 3 decimals, rounded


def test_sigmoid_net_values_and_the_044_slip():
    expl = get_preset("sigmoid-net").build(1)
    top, low = (p.trace.steps[0] for p in expl.parts)
    assert low.layers[0].a[0, 0] == pytest.approx(0.870, abs=5e-4)
    assert top.layers[0].a[0, 0] == pytest.approx(0.669, abs=5e-4)
    assert top.loss.value == pytest.approx(0.402, abs=5e-4)
    comps = {c.what.split(" ")[0]: c for c in expl.comparisons}
    assert comps["hidden"].agrees and comps["output:"].agrees
    assert not comps["loss"].agrees
    # dLoss/dw1 chains the output unit's dLoss/dh1 into hidden unit 1: check it against
    # central differences of the whole network, h1 = sigmoid(w . x) feeding the output unit.
    def loss_of(w1):
        h1 = 1 / (1 + np.exp(-(w1 * 7 - 0.3 * 8 + 0.1 * 8)))
        p = 1 / (1 + np.exp(-(0.7 * h1 - 0.4 * 0.68 + 0.2 * 0.95 + 0.3 * 0.59)))
        return -np.log(p)
    eps = 1e-6
    numeric = (loss_of(0.5 + eps) - loss_of(0.5 - eps)) / (2 * eps)
    assert low.layers[0].dW[0, 0] == pytest.approx(numeric, abs=1e-3)  # h1 rounded to .87 above
    assert top.layers[0].dW[0, 0] == pytest.approx((0.669 - 1) * 0.87, abs=5e-4)
    text = render(expl, "text")
    assert "loss -ln(0.669): the slide slipped" in text
    assert "slide  = 0.44\n  engine = 0.4019" in text
    assert "0.402" in render(expl, "text", precision=3)


def test_xor_threshold_truth_table_and_refusal():
    expl = get_preset("xor-threshold").build(1)
    tr = expl.parts[0].trace
    s = tr.steps[0]
    np.testing.assert_array_equal(s.layers[1].a[:, 0], [0, 1, 1, 0])
    np.testing.assert_array_equal(s.layers[0].a, [[0, 0], [0, 1], [0, 1], [1, 1]])
    assert not tr.trainable and s.updates == [] and s.refused_layer == 2
    assert "step function has zero gradient" in s.refused
    assert expl.tables[0].rows == [[0, 0, 0, 0, 0, 0], [0, 1, 0, 1, 1, 1], [1, 0, 0, 1, 1, 1],
                                   [1, 1, 1, 1, 0, 0]]
    text = render(expl, "text")
    assert "The backward pass stops here" in text and "Truth table" in text


@pytest.mark.parametrize("name", list(PRESETS))
@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_every_preset_renders_in_every_format(name, fmt):
    out = render(get_preset(name).build(1), fmt)
    assert "The slide and the engine" in out
    if fmt == "latex":
        assert out.isascii()


def test_unknown_example_lists_the_names():
    with pytest.raises(ExplainError, match="standardize, bce-step, softmax-step, hours, petal"):
        get_preset("nope")


def test_bce_step_flags_the_transposed_weight_block():
    expl = get_preset("bce-step").build(1)
    c = next(c for c in expl.comparisons if c.what.startswith("W_h after the step"))
    assert not c.agrees
    np.testing.assert_allclose(c.computed, [[0.0946, 0.0946], [0.0946, 0.0946],
                                            [0.0891, 0.0891]], atol=5e-5)
    assert "the slide transposed the weight block" in " ".join(render(expl, "text").split())


def test_sigmoid_net_flags_the_derivative_taken_at_the_output():
    expl = get_preset("sigmoid-net").build(1)
    c = next(c for c in expl.comparisons if c.what.startswith("dyout/dypr"))
    assert not c.agrees and c.computed == pytest.approx(0.2214, abs=5e-5)
    text = " ".join(render(expl, "text").split())
    assert "at the output 0.67; the derivative belongs at the pre-activation ypr = 0.704" in text
