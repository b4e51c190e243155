"""Down-sampling for super-resolution: the observation is ``H/K x W/K``."""

from __future__ import annotations

import kornia
import torch.nn.functional as F
from torch import Tensor

from invgen.plugin import ForwardModel, Shape

MODES = ("area", "bicubic", "bilinear")


class Downsample(ForwardModel):
    """Reduce each side by the integer ``factor``.

    ``area`` averages each ``K x K`` block (the box sensor model of most super-resolution
    benchmarks); ``bicubic``/``bilinear`` interpolate with kornia, low-passed first when
    ``antialias`` is true.
    """

    def __init__(self, factor: int, mode: str = "area", antialias: bool = True) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode must be one of {'|'.join(MODES)}, not {mode!r}")
        self.factor, self.mode, self.antialias = factor, mode, antialias

    def output_shape(self, input_shape: Shape) -> Shape:
        channels, height, width = input_shape
        if height % self.factor or width % self.factor:
            raise ValueError(f"factor {self.factor} does not divide the image size {height}x{width}")
        return (channels, height // self.factor, width // self.factor)

    def pseudo_inverse(self, y: Tensor, input_shape: Shape) -> Tensor | None:
        """For ``area``: A A^T = I / K^2, so A⁺ = K^2 A^T repeats each value over its block; the
        interpolating modes have no cheap one."""
        if self.mode != "area":
            return None
        return y.repeat_interleave(self.factor, dim=-2).repeat_interleave(self.factor, dim=-1)

    def forward(self, x: Tensor) -> Tensor:
        _, height, width = self.output_shape(tuple(x.shape[1:]))
        if self.mode == "area":
            return F.avg_pool2d(x, self.factor)
        return kornia.geometry.transform.resize(x, (height, width), interpolation=self.mode,
                                                align_corners=False, antialias=self.antialias)
