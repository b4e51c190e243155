"""Noise models: identity operators whose ``simulate`` draws noise and whose level feeds the likelihood."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from invgen.plugin import Identity


class GaussianNoise(Identity):
    """Additive white Gaussian noise of standard deviation ``std`` in [-1, 1] units."""

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = std

    @property
    def noise_std(self) -> float:
        return self.std

    def add_noise(self, y: Tensor, rng: torch.Generator) -> Tensor:
        return y + self.std * torch.randn(y.shape, generator=rng, dtype=y.dtype).to(y.device)


class PoissonNoise(Identity):
    """Photon (shot) noise: intensities in [0, 1] scaled to ``peak`` expected counts, then Poisson.

    ``noise_std`` is the standard deviation at mid-grey, ``2 * sqrt(0.5 / peak)`` in [-1, 1] units
    (the noise is signal-dependent; this single value is what the Gaussian likelihood uses).
    """

    def __init__(self, peak: float) -> None:
        super().__init__()
        self.peak = peak

    @property
    def noise_std(self) -> float:
        return 2 * math.sqrt(0.5 / self.peak)

    def add_noise(self, y: Tensor, rng: torch.Generator) -> Tensor:
        rate = ((y + 1) / 2).clamp(0, 1) * self.peak
        counts = torch.poisson(rate.double().cpu(), generator=rng).to(y.device, y.dtype)
        return counts / self.peak * 2 - 1
