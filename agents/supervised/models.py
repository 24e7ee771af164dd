"""Path predictors of the TRM repository README's supervised maze table.

Every model maps the dataset input ``(B, 3, S, S)`` (wall, start, goal channels) to ``(B, S, S)``
on-path logits. The source's heads emit two classes (off path, on path) trained with a two-class
cross entropy; the models keep those two-way heads, so their parameter counts are the source's,
and return the logit difference ``on - off``: a sigmoid of it is the source's softmax probability
of "on path", binary cross entropy on it equals the source's loss, and ``logit > 0`` is its argmax.

Shapes, read from the source's scripts (never its parameter counts, which :func:`count_params`
computes):

* ``cnn`` (experiments/simple_maze_comparison.py, ``CNNMazeSolver``): 3x3 same-padding convs
  3 -> 32 -> 64 -> 64 -> 32 with ReLU, then a 1x1 conv to 2 classes.
* ``transformer`` (experiments/maze_comparison.py, ``TransformerMazeSolver``): per-cell linear
  3 -> 128, a learned ``(S*S, 128)`` position table, 3 post-norm encoder layers (4 heads,
  feed-forward 512, dropout 0.1, ReLU), head 128 -> 64 -> ReLU -> 2.
* ``trm``: per-cell latent ``z`` (learned initial value) refined by a tiny MLP of ``[z, x, y]``
  (``y``: the current prediction's softmax times a 2-row embedding), ``inner_steps`` times per
  supervision step, only the last inner step keeping its gradient; each supervision step ends with
  a head MLP of ``[z, y]`` giving new logits (deep supervision: one output per step).

  - size 8 (simple_maze_comparison.py, ``SimpleTRM``): input encoder two 3x3 convs 3 -> 16 -> 16
    with ReLU; z 32, x 16, y 8; tiny MLP hidden 64; head hidden 32; 3 inner x 5 supervision steps.
  - size 10 (maze_comparison.py, ``TRMMazeSolver`` as built in its ``main``): per-cell linear
    3 -> 32; z 64, x 32, y 16; tiny MLP hidden 128; head hidden 64; 4 inner x 6 supervision steps.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def _on_path_logit(two_class: torch.Tensor) -> torch.Tensor:
    """``(..., 2)`` off/on-path logits -> ``(...)`` logit of "on path"."""
    return two_class[..., 1] - two_class[..., 0]


class PathPredictor(nn.Module):
    """Base class: ``forward`` gives the final ``(B, S, S)`` logits, ``step_logits`` every
    supervised output (one for single-pass models, one per supervision step for the TRM)."""

    def step_logits(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(B, 3, S, S)`` input -> list of ``(B, S, S)`` logits, last = the prediction."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, S, S)`` input -> ``(B, S, S)`` on-path logits."""
        return self.step_logits(x)[-1]


class CNNPredictor(PathPredictor):
    """Four 3x3 convs and a 1x1 two-class conv (the 8x8 baseline); fully convolutional, so
    ``size`` only keeps the factory signature."""

    def __init__(self, size: int) -> None:
        super().__init__()
        widths = [3, 32, 64, 64, 32]
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1), nn.ReLU()]
        self.body = nn.Sequential(*layers, nn.Conv2d(widths[-1], 2, kernel_size=1))

    def step_logits(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(B, 3, S, S)`` -> ``[(B, S, S)]``."""
        return [_on_path_logit(self.body(x).permute(0, 2, 3, 1))]


def _cells(x: torch.Tensor) -> torch.Tensor:
    """``(B, C, S, S)`` -> ``(B, S*S, C)``, cells in row-major order."""
    return x.flatten(2).transpose(1, 2)


class TransformerPredictor(PathPredictor):
    """Per-cell tokens with a learned position table through a Transformer encoder (the 10x10 baseline)."""

    def __init__(self, size: int, d_model: int = 128, heads: int = 4, layers: int = 3) -> None:
        super().__init__()
        self.size = size
        self.embed = nn.Linear(3, d_model)
        self.position = nn.Parameter(torch.randn(1, size * size, d_model))
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=4 * d_model, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.Linear(d_model, d_model // 2), nn.ReLU(), nn.Linear(d_model // 2, 2))

    def step_logits(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(B, 3, S, S)`` -> ``[(B, S, S)]``."""
        h = self.encoder(self.embed(_cells(x)) + self.position)
        return [_on_path_logit(self.head(h)).view(-1, self.size, self.size)]


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


class TRMPredictor(PathPredictor):
    """Tiny Recursive Model over the cells: latent refinement with deep supervision.

    :param size: maze side ``S``.
    :param encoder: module mapping ``(B, 3, S, S)`` to per-cell features ``(B, S*S, x_dim)``.
    :param x_dim: per-cell input feature width.
    :param z_dim: latent width.
    :param y_dim: prediction-embedding width.
    :param net_hidden: hidden width of the latent update MLP.
    :param head_hidden: hidden width of the output head.
    :param inner_steps: latent updates per supervision step.
    :param sup_steps: supervision steps (outputs).
    """

    def __init__(
        self,
        size: int,
        encoder: nn.Module,
        x_dim: int,
        z_dim: int,
        y_dim: int,
        net_hidden: int,
        head_hidden: int,
        inner_steps: int,
        sup_steps: int,
    ) -> None:
        super().__init__()
        self.size = size
        self.encoder = encoder
        self.update = _mlp(z_dim + x_dim + y_dim, net_hidden, z_dim)
        self.head = _mlp(z_dim + y_dim, head_hidden, 2)
        self.y_embedding = nn.Embedding(2, y_dim)
        self.z_init = nn.Parameter(0.1 * torch.randn(1, 1, z_dim))
        self.inner_steps = inner_steps
        self.sup_steps = sup_steps

    def _embed_prediction(self, y: torch.Tensor) -> torch.Tensor:
        """``(B, L, 2)`` logits -> ``(B, L, y_dim)`` softmax-weighted embedding."""
        return torch.softmax(y, dim=-1) @ self.y_embedding.weight

    def step_logits(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``(B, 3, S, S)`` -> ``sup_steps`` logits ``(B, S, S)``, one per supervision step."""
        feats = self.encoder(x)
        batch, cells, _ = feats.shape
        z = self.z_init.expand(batch, cells, -1)
        y = feats.new_zeros(batch, cells, 2)
        outputs = []
        for _ in range(self.sup_steps):
            y_in = self._embed_prediction(y.detach())
            for t in range(self.inner_steps):
                z = self.update(torch.cat([z, feats, y_in], dim=-1))
                if t < self.inner_steps - 1:
                    z = z.detach()
            y = self.head(torch.cat([z, self._embed_prediction(y)], dim=-1))
            outputs.append(_on_path_logit(y).view(batch, self.size, self.size))
        return outputs


class _ConvCells(nn.Module):
    """Two 3x3 convs with ReLU, then per-cell features ``(B, S*S, C)``."""

    def __init__(self, hidden: int, x_dim: int) -> None:
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(3, hidden, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(hidden, x_dim, kernel_size=3, padding=1),
            nn.ReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, S, S)`` -> ``(B, S*S, x_dim)``."""
        return _cells(self.convs(x))


class _LinearCells(nn.Module):
    """A per-cell linear projection of the input channels, ``(B, S*S, x_dim)``."""

    def __init__(self, x_dim: int) -> None:
        super().__init__()
        self.proj = nn.Linear(3, x_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, S, S)`` -> ``(B, S*S, x_dim)``."""
        return self.proj(_cells(x))


def make_trm(size: int) -> TRMPredictor:
    """The source's TRM for ``size``: the 8x8 script's variant for 8, the 10x10 script's otherwise."""
    if size == 8:
        return TRMPredictor(size, _ConvCells(16, 16), 16, 32, 8, 64, 32, inner_steps=3, sup_steps=5)
    return TRMPredictor(size, _LinearCells(32), 32, 64, 16, 128, 64, inner_steps=4, sup_steps=6)


PREDICTORS: dict[str, Callable[[int], PathPredictor]] = {
    "cnn": CNNPredictor,
    "transformer": TransformerPredictor,
    "trm": make_trm,
}
"""Model name -> factory taking the maze side ``S``."""


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
