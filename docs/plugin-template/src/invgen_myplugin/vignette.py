"""The forward model itself: differentiable, batched, on any device and dtype."""

from __future__ import annotations

import torch
from torch import Tensor

from invgen.plugin import ForwardModel


class Vignette(ForwardModel):
    """``y = x * (1 - strength * r^2 / 2)``, r the distance from the centre (1 at the middle of an edge)."""

    def __init__(self, strength: float = 0.5) -> None:
        super().__init__()
        if not 0 <= strength <= 1:
            raise ValueError(f"strength must be in [0, 1], not {strength}")  # becomes a one-line spec error
        self.strength = strength

    def forward(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        rows = torch.linspace(-1, 1, height, device=x.device, dtype=x.dtype)
        cols = torch.linspace(-1, 1, width, device=x.device, dtype=x.dtype)
        radius2 = rows[:, None] ** 2 + cols[None, :] ** 2
        return x * (1 - self.strength * radius2 / 2)
