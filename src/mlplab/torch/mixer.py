"""MLP-Mixer (Tolstikhin et al., 2021): an image classifier built only from MLPs.

The image is cut into P x P patches, each patch is embedded by one shared Linear layer, and
``depth`` Mixer layers alternate two MLPs (Linear-GELU-Linear), each after a LayerNorm and
inside a skip connection:

* token mixing: one MLP applied to every channel across the T patches (mixes positions);
* channel mixing: one MLP applied to every patch across the D channels (the transformer's
  position-wise feed-forward block).

A final LayerNorm and global average pooling over the patches give a (N, D) feature vector;
the spec's next width is the linear head, e.g.
``1x28x28-mixer:patch=7,dim=64,depth=4,tokens_hidden=32,channels_hidden=128-10``.
"""

from __future__ import annotations

from mlplab.torch import require_torch

torch = require_torch()


class MlpBlock(torch.nn.Module):
    """Linear(dim, hidden) - GELU - Linear(hidden, dim) on the last axis: (..., dim) -> same;
    with ``dropout`` > 0, Dropout after the GELU and after the second Linear (the lecture's
    and the paper's block), each with its own seeded generator (mlplab.torch.layers)."""

    def __init__(self, dim: int, hidden: int, dropout: float = 0.0, seeds=None):
        super().__init__()
        self.fc1 = torch.nn.Linear(dim, hidden)
        self.act = torch.nn.GELU()
        self.fc2 = torch.nn.Linear(hidden, dim)
        self.drop1 = self.drop2 = None
        if dropout:
            from mlplab.torch.layers import Dropout

            seed = seeds if seeds is not None else (lambda: None)
            self.drop1, self.drop2 = Dropout(dropout, seed()), Dropout(dropout, seed())

    def forward(self, x):
        h = self.act(self.fc1(x))
        if self.drop1 is not None:
            return self.drop2(self.fc2(self.drop1(h)))
        return self.fc2(h)


class MixerBlock(torch.nn.Module):
    """One Mixer layer on x : (N, T, D) -> (N, T, D)::

        x = x + TokenMLP(LayerNorm(x)^T)^T      mixes the T patches, per channel
        x = x + ChannelMLP(LayerNorm(x))         mixes the D channels, per patch
    """

    def __init__(self, tokens: int, dim: int, tokens_hidden: int, channels_hidden: int,
                 dropout: float = 0.0, seeds=None):
        super().__init__()
        self.norm1 = torch.nn.LayerNorm(dim)
        self.token_mlp = MlpBlock(tokens, tokens_hidden, dropout, seeds)
        self.norm2 = torch.nn.LayerNorm(dim)
        self.channel_mlp = MlpBlock(dim, channels_hidden, dropout, seeds)

    def forward(self, x):
        x = x + self.token_mlp(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.norm2(x))


class MLPMixer(torch.nn.Module):
    """Patch embedding, ``depth`` MixerBlocks, LayerNorm, mean over patches.

    x : (N, C, H, W) -> (N, dim). ``in_shape`` is (C, H, W); ``patch`` must divide H and W,
    giving T = (H/patch)(W/patch) tokens of C*patch*patch values each.
    """

    def __init__(self, in_shape, patch: int = 7, dim: int = 64, depth: int = 4,
                 tokens_hidden: int = 32, channels_hidden: int = 128, dropout: float = 0.0,
                 seeds=None):
        super().__init__()
        c, h, w = in_shape
        if h % patch or w % patch:
            raise ValueError(f"MLPMixer: patch={patch} does not divide the {h}x{w} input")
        self.in_shape, self.patch = (c, h, w), patch
        self.tokens = (h // patch) * (w // patch)
        self.embed = torch.nn.Linear(c * patch * patch, dim)
        self.blocks = torch.nn.Sequential(*(
            MixerBlock(self.tokens, dim, tokens_hidden, channels_hidden, dropout, seeds)
            for _ in range(depth)))
        self.norm = torch.nn.LayerNorm(dim)

    def extra_repr(self) -> str:
        return f"in_shape={self.in_shape}, patch={self.patch}, tokens={self.tokens}"

    def patches(self, x):
        """(N, C, H, W) -> (N, T, C*P*P), patches in row-major order."""
        if tuple(x.shape[1:]) != self.in_shape:
            want = ", ".join(map(str, self.in_shape))
            raise ValueError(f"MLPMixer: expected input of shape (N, {want}), got "
                             f"{tuple(x.shape)}")
        n, c, h, w = x.shape
        p = self.patch
        x = x.reshape(n, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
        return x.reshape(n, self.tokens, c * p * p)

    def forward(self, x):
        x = self.blocks(self.embed(self.patches(x)))
        return self.norm(x).mean(dim=1)
