"""Several MAP solutions from diverse starts (``--starts K``): an ambiguous observation (a low-resolution
digit, a mostly hidden one) is explained by several images, and one estimate hides that.

The starts are the generator's mean latent and K-1 mapped random latents chosen far apart (greedy
farthest-point selection among :data:`POOL` candidates per start); all K are optimised in one batch and the
solutions ranked by their objective.
"""

from __future__ import annotations

import torch
from torch import Tensor

from invgen.interfaces import Generator

POOL = 8  # candidates drawn per start, of which the farthest apart are kept
MAX_STARTS = 64


def diverse_starts(generator: Generator, count: int, seed: int, device: torch.device) -> Tensor:
    """``count`` W+ latents ``[count, L, D]``: the mean latent first, then mapped random latents each as far
    as possible (in W+) from those already chosen."""
    first = generator.initial_latent(1).to(device)
    if count == 1:
        return first
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn((count - 1) * POOL, generator.z_dim, generator=rng).to(device)
    with torch.no_grad():
        pool = generator.map(z)
    chosen = [first[0]]
    distance = (pool - first).flatten(1).norm(dim=1)
    for _ in range(count - 1):
        index = int(distance.argmax())
        chosen.append(pool[index])
        distance = torch.minimum(distance, (pool - pool[index]).flatten(1).norm(dim=1))
    return torch.stack(chosen)


def rank(objectives: Tensor) -> Tensor:
    """Per observation, the starts ordered by objective, best first: ``[B, K]`` indices from ``[B, K]``."""
    return objectives.argsort(dim=1)
