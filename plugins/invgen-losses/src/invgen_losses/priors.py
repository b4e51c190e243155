"""Priors on W+ latents ``w [B, L, D]``: each returns one value per latent ``[B]``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from invgen.plugin import Generator, Prior


class WGaussian(Prior):
    """``sum over layers i and dims d of ((w_id - mu_d) / sigma)^2`` (``reduce=mean``: mean instead of sum).

    ``mu`` and ``sigma`` come from the generator's latent statistics: ``scale=scalar`` uses one
    std for every dimension, ``per-dim`` one per dimension, and ``norm`` the root of the total
    variance ``sqrt(E||w - mu||^2)`` (the BRGM reference code's normalisation).
    """

    def __init__(self, scale: str = "scalar", reduce: str = "sum") -> None:
        super().__init__()
        self.scale, self.reduce = scale, reduce
        self.register_buffer("mu", torch.zeros(1))
        self.register_buffer("sigma", torch.ones(1))

    def bind(self, generator: Generator) -> None:
        stats = generator.latent_stats()
        self.mu = stats.mean.detach().clone().to(self.mu)
        if self.scale == "per-dim":
            sigma = stats.std_per_dim
        elif self.scale == "norm":
            sigma = stats.std_per_dim.square().sum().sqrt()
        else:
            sigma = stats.std
        self.sigma = sigma.detach().clone().to(self.mu).reshape(-1)

    def forward(self, w: Tensor) -> Tensor:
        z2 = ((w - self.mu.to(w)) / self.sigma.to(w)).square().flatten(1)
        return z2.mean(1) if self.reduce == "mean" else z2.sum(1)


class Colinear(Prior):
    """How far the per-layer latents are from pointing the same way, per batch element.

    ``reduce=mean``: mean over the L(L-1)/2 pairs of layers of ``1 - cos(w_i, w_j)``;
    ``reduce=sum``: the sum over all ordered pairs (the BRGM reference code's L1 norm of the
    ``L x L`` matrix, i.e. ``L(L-1)`` times the mean).
    """

    def __init__(self, reduce: str = "mean") -> None:
        super().__init__()
        self.reduce = reduce

    def forward(self, w: Tensor) -> Tensor:
        layers = w.shape[1]
        if layers < 2:
            return w.new_zeros(w.shape[0])
        unit = F.normalize(w, dim=2)
        distance = 1 - unit @ unit.transpose(1, 2)
        upper = torch.triu_indices(layers, layers, offset=1, device=w.device)
        pairs = distance[:, upper[0], upper[1]]
        return pairs.mean(1) if self.reduce == "mean" else 2 * pairs.sum(1)


class ZGaussian(Prior):
    """``0.5 * ||w||^2`` over all entries: the standard normal prior of a plain Gaussian latent."""

    def forward(self, w: Tensor) -> Tensor:
        return 0.5 * w.square().flatten(1).sum(1)


class Sphere(Prior):
    """PULSE's constraint as a penalty: ``sum over layers of (||(w_i - mu) / sigma|| - sqrt(D))^2``.

    A standardised D-dimensional Gaussian concentrates near the sphere of radius sqrt(D).
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mu", torch.zeros(1))
        self.register_buffer("sigma", torch.ones(1))

    def bind(self, generator: Generator) -> None:
        stats = generator.latent_stats()
        self.mu = stats.mean.detach().clone().to(self.mu)
        self.sigma = stats.std.detach().clone().to(self.mu).reshape(-1)

    def forward(self, w: Tensor) -> Tensor:
        radius = ((w - self.mu.to(w)) / self.sigma.to(w)).norm(dim=2)
        return (radius - math.sqrt(w.shape[2])).square().sum(1)
