"""Several MAP solutions from diverse starts (``--starts K``): an ambiguous observation (a low-resolution
digit, a mostly hidden one) is explained by several images, and one estimate hides that.

The starts are chosen per observation from a seeded pool: the generator's mean latent and
:data:`POOL` mapped random latents per start. Every candidate is scored by the objective (no
gradients); the best-scoring fraction (:data:`KEEP`) is kept, and from it the best candidate and then
K-1 more by greedy farthest-point selection in W+. So the starts already explain the observation
roughly and still differ: 100 optimisation steps rarely carry a start from one digit to another,
which is what starts drawn without looking at the observation relied on. All K are optimised in one
batch and the solutions ranked by their objective.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from invgen.problem.interfaces import Generator
from invgen.problem.objective import Objective

POOL = 16  # candidates drawn per start
KEEP = 0.25  # share of the pool, best objective first, that the starts are chosen from
SCREEN_PIXELS = 2**22  # image values scored at once while screening (bounds the screening's memory)


def candidate_latents(generator: Generator, count: int, seed: int, device: torch.device) -> Tensor:
    """The pool ``[1 + count * POOL, L, D]``: the mean latent first, then seeded mapped random latents."""
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(count * POOL, generator.z_dim, generator=rng).to(device)
    with torch.no_grad():
        return torch.cat([generator.initial_latent(1).to(device), generator.map(z)])


def candidate_scores(objective: Objective, candidates: Tensor, precision: str = "fp32") -> Tensor:
    """The objective of every candidate latent for every observation: ``[B, P]`` from ``[P, L, D]``."""
    batch = objective.observation.shape[0]
    per_image = math.prod(objective.generator.image_shape)
    step = max(1, SCREEN_PIXELS // (per_image * batch))
    scores = []
    with torch.no_grad():
        for first in range(0, len(candidates), step):
            part = candidates[first:first + step]
            total = objective.repeated(len(part)).evaluate(part.repeat(batch, 1, 1), precision).total
            scores.append(total.view(batch, len(part)).float())
    return torch.cat(scores, dim=1)


def farthest_points(points: Tensor, count: int) -> Tensor:
    """Indices of ``count`` of ``points [P, ...]``: the first point, then each the farthest from those chosen."""
    chosen = [0]
    distance = (points - points[0]).flatten(1).norm(dim=1)
    for _ in range(count - 1):
        index = int(distance.argmax())
        chosen.append(index)
        distance = torch.minimum(distance, (points - points[index]).flatten(1).norm(dim=1))
    return torch.tensor(chosen)


def screened_starts(objective: Objective, count: int, seed: int, precision: str = "fp32") -> Tensor:
    """``count`` W+ latents per observation, ``[B, count, L, D]``: the best-scoring candidate of the pool,
    then farthest points among the best :data:`KEEP` share of it (at least ``count`` candidates)."""
    candidates = candidate_latents(objective.generator, count, seed, objective.observation.device)
    scores = candidate_scores(objective, candidates, precision)
    keep = max(count, round(len(candidates) * KEEP))
    best = scores.argsort(dim=1)[:, :keep].to(candidates.device)
    return torch.stack([candidates[rows][farthest_points(candidates[rows], count)] for rows in best])


def rank(objectives: Tensor) -> Tensor:
    """Per observation, the starts ordered by objective, best first: ``[B, K]`` indices from ``[B, K]``."""
    return objectives.argsort(dim=1)
