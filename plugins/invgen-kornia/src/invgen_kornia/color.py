"""Colour to grey: turns colourisation into an inverse problem."""

from __future__ import annotations

import kornia
from torch import Tensor

from invgen.plugin import ForwardModel, Shape


class Grayscale(ForwardModel):
    """Luminance ``0.299 R + 0.587 G + 0.114 B`` (kornia's ``rgb_to_grayscale``); grey images pass through."""

    def output_shape(self, input_shape: Shape) -> Shape:
        channels, height, width = input_shape
        if channels not in (1, 3):
            raise ValueError(f"grayscale needs 1 or 3 channels, not {channels}")
        return (1, height, width)

    def forward(self, x: Tensor) -> Tensor:
        self.output_shape(tuple(x.shape[1:]))
        return x if x.shape[1] == 1 else kornia.color.rgb_to_grayscale(x)
