"""The MLP-Mixer's dropout option: the paper's block, seeded, and absent by default."""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.errors import SpecError
from mlplab.spec import ModelSpec

torch = pytest.importorskip("torch")

BASE = "1x8x8-mixer:patch=4,dim=8,depth=2,tokens_hidden=6,channels_hidden=16"


def test_dropout_is_an_option_with_no_parameters_and_round_trips():
    plain, drop = ModelSpec.parse(BASE + "-3"), ModelSpec.parse(BASE + ",dropout=0.1-3")
    assert plain.num_parameters() == drop.num_parameters()
    assert str(drop) == BASE + ",dropout=0.1-3" and str(plain) == BASE + "-3"
    assert ModelSpec.parse(str(drop)) == drop
    with pytest.raises(SpecError, match="mixer option dropout"):
        ModelSpec.parse(BASE + ",dropout=1.5-3")


def test_the_twin_drops_in_training_only_and_repeats_with_its_seed():
    from mlplab.torch.builder import build

    x = torch.from_numpy(np.random.default_rng(0).normal(size=(4, 1, 8, 8)).astype(np.float32))
    runs = []
    for _ in range(2):
        model = build(BASE + ",dropout=0.5-3", seed=7)
        model.train()
        runs.append(model(x).detach().numpy())
        model.eval()
        eval_out = model(x).detach().numpy()
    np.testing.assert_array_equal(runs[0], runs[1])            # seeded masks
    assert not np.allclose(runs[0], eval_out)                  # dropout acts in training
    plain = build(BASE + "-3", seed=7).eval()
    np.testing.assert_allclose(plain(x).detach().numpy(), eval_out, rtol=1e-6)
