"""A small fixed generator with a known latent: for tests, contract checks and quick demos.

Its weights are drawn from a seed, so every install builds the same network. It is not a
model of any data set: it exists so that the engine can be checked end to end without
downloading anything.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from invgen.problem.interfaces import Generator


class ToyGenerator(Generator):
    """A seeded random decoder: w ``[B, layers, dim]`` -> images ``[B, channels, size, size]`` via tanh.

    ``map(z)`` tiles ``z [B, dim]`` over the layers, so ``w`` is standard normal per layer. ``linear`` makes the
    decoder one seeded matrix (image = A w, no tanh): with a Gaussian prior and likelihood the posterior is then
    Gaussian in closed form, which the samplers' tests check against.
    """

    def __init__(self, size: int = 16, channels: int = 1, layers: int = 4, dim: int = 8, seed: int = 0,
                 linear: bool = False) -> None:
        super().__init__()
        if size < 4 or size & (size - 1):
            raise ValueError(f"size must be a power of two >= 4, not {size}")
        self.num_layers, self.latent_dim, self.z_dim = layers, dim, dim
        self.channels, self.resolution = channels, size
        rng = torch.Generator().manual_seed(seed)
        width = 32
        stages = int(math.log2(size)) - 2

        def draw(*shape: int, fan_in: int, gain: float = 1.0) -> nn.Parameter:
            weights = torch.randn(*shape, generator=rng) * (gain / math.sqrt(fan_in))
            return nn.Parameter(weights, requires_grad=False)

        self.to_grid = draw(layers * dim, width * 16, fan_in=layers * dim)
        self.convs = nn.ParameterList([draw(width, width, 3, 3, fan_in=width * 9, gain=math.sqrt(2.0)) for _ in range(stages)])
        self.to_image = draw(channels, width, 1, 1, fan_in=width)
        self.linear = linear
        self.to_pixels = draw(layers * dim, channels * size * size, fan_in=layers * dim, gain=0.5) if linear else None

    @property
    def decoder_matrix(self) -> Tensor:
        """The linear decoder's A ``[layers * dim, channels * size * size]`` (image = w.flatten() @ A)."""
        if self.to_pixels is None:
            raise ValueError("the toy generator is linear only when built with linear=True")
        return self.to_pixels.detach()

    def synthesize(self, w: Tensor) -> Tensor:
        if self.to_pixels is not None:
            return (w.flatten(1) @ self.to_pixels).view(w.shape[0], self.channels, self.resolution, self.resolution)
        x = (w.flatten(1) @ self.to_grid).view(w.shape[0], -1, 4, 4)
        for kernel in self.convs:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = F.leaky_relu(F.conv2d(x, kernel, padding=1), 0.2)
        return torch.tanh(F.conv2d(x, self.to_image))

    def map(self, z: Tensor, truncation: float = 1.0) -> Tensor:
        return (truncation * z).unsqueeze(1).expand(-1, self.num_layers, -1)
