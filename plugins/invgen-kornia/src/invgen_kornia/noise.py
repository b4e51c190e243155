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


class RicianNoise(GaussianNoise):
    """Rician noise, the noise of MRI magnitude images: the image read as a magnitude in [0, 1] (from [-1, 1]),
    complex Gaussian noise of std ``std / 2`` added to its real and imaginary parts (``std`` in [-1, 1] units),
    and the magnitude taken again. ``noise_std`` is ``std``: what a Gaussian likelihood would use (the
    ``rician`` loss is the exact one)."""

    def add_noise(self, y: Tensor, rng: torch.Generator) -> Tensor:
        magnitude = ((y + 1) / 2).clamp_min(0)
        sigma = self.std / 2
        real = sigma * torch.randn(y.shape, generator=rng, dtype=y.dtype).to(y.device)
        imaginary = sigma * torch.randn(y.shape, generator=rng, dtype=y.dtype).to(y.device)
        return torch.hypot(magnitude + real, imaginary) * 2 - 1
