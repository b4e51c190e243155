"""Each mode's probability among several solutions of one observation: softmax of its log evidence / T.

A multi-start result has K solutions per observation. Their log evidence is estimated from the objective
(a negative log density): ``-objective`` at a MAP mode (the Laplace volume term left out: the K modes are
points of one model in one latent space, and the temperature absorbs what the term would change in
common), the ELBO of a VI component, and for an MCMC chain the mean of ``-objective`` over its draws plus the
entropy of a diagonal Gaussian fitted to them. These differ between modes by hundreds of nats when the
likelihood is sharp, far more than how often the modes turn out right warrants (docs/results.md), so the
probabilities are ``softmax(log evidence / T)`` with a temperature T fitted on images whose truth is
known (``invgen calibrate``; temperature scaling, Guo et al. 2017): T maximises the likelihood of the mode
nearest the truth. T = 1 leaves the probabilities as the objective implies them.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

LOG_T_RANGE = (-9.0, 9.0)  # log10 of the temperatures searched (an objective may be a mean error or a sum in nats)


def mode_probabilities(log_evidence: Tensor, temperature: float = 1.0) -> Tensor:
    """``[B, K]`` probabilities (rows sum to 1) from log evidence ``[B, K]`` at ``temperature`` T > 0."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0, not {temperature}")
    return torch.softmax(log_evidence.double() / temperature, dim=1).float()


def nearest_modes(modes: Tensor, truth: Tensor, region: Tensor | None = None) -> Tensor:
    """Per observation, the index of the mode ``modes [B, K, C, H, W]`` closest to ``truth [B, C, H, W]`` in
    mean squared error (over ``region``, a bool ``[1, 1, H, W]`` of pixels to compare, when given): ``[B]``."""
    error = (modes.double() - truth.double()[:, None]).square()
    if region is not None:
        error = error * region.to(error.device)[:, None]
    return error.flatten(2).sum(2).argmin(1)


def mode_nll(log_evidence: Tensor, correct: Tensor, temperature: float) -> float:
    """Mean negative log probability that ``mode_probabilities`` gives the right mode ``correct [N]``."""
    logits = log_evidence.double() / temperature
    return (torch.logsumexp(logits, 1) - logits.gather(1, correct.long()[:, None])[:, 0]).mean().item()


def fit_temperature(log_evidence: Tensor, correct: Tensor) -> float:
    """The temperature T that maximises the likelihood of the right modes ``correct [N]`` under
    ``softmax(log_evidence [N, K] / T)``: a grid over :data:`LOG_T_RANGE` (the likelihood in log T is smooth
    and mostly unimodal), refined by golden-section search around the grid's best."""
    if log_evidence.dim() != 2 or log_evidence.shape[1] < 2 or len(correct) != len(log_evidence) or not len(correct):
        raise ValueError("fitting a temperature needs [N, K >= 2] log evidence and one right mode per row")
    low, high = LOG_T_RANGE
    grid = torch.linspace(low, high, 45, dtype=torch.float64).tolist()
    scores = [mode_nll(log_evidence, correct, 10**t) for t in grid]
    best = min(range(len(grid)), key=scores.__getitem__)
    left, right = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = right - ratio * (right - left), left + ratio * (right - left)
        if mode_nll(log_evidence, correct, 10**a) <= mode_nll(log_evidence, correct, 10**b):
            right = b
        else:
            left = a
    return 10 ** ((left + right) / 2)
