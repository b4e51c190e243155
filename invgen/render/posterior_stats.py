"""Summaries of posterior samples: where they spread, and whether each still explains the observation.

Used by ``invgen run --method vi`` (``run.json``), by ``scripts/vi_experiment.py`` and by the
tests, so that the documented checks and what users see are computed the same way.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from invgen.problem.metrics import psnr


def pairwise_distance(samples: Tensor) -> Tensor:
    """Mean absolute difference over all pairs of samples, per pixel: ``[B, N, C, H, W]`` -> ``[B, H, W]``."""
    count = samples.shape[1]
    if count < 2:
        raise ValueError("pairwise distances need at least two samples")
    total = torch.zeros(samples.shape[0], *samples.shape[-2:], dtype=samples.dtype)
    for i in range(count):  # pair by pair: [B, N, N, C, H, W] at once is too big for large images
        for j in range(i + 1, count):
            total += (samples[:, i] - samples[:, j]).abs().mean(1)
    return total / (count * (count - 1) / 2)


def region_means(values: Tensor, mask: Tensor | None) -> dict[str, Tensor]:
    """Per-observation means of ``values [B, H, W]`` over all pixels and, with a mask ``[.., H, W]`` (1 =
    observed), over the unknown and the known pixels: ``{"all", "unknown", "known"}`` -> ``[B]``."""
    means = {"all": values.flatten(1).mean(1)}
    if mask is not None and mask.shape[-2:] == values.shape[-2:]:
        known = mask.reshape(-1, *mask.shape[-2:])[0] > 0.5
        means["unknown"] = values[:, ~known].mean(1)
        means["known"] = values[:, known].mean(1)
    return means


def sample_fit_psnr(sample_predictions: Tensor, observation: Tensor) -> Tensor:
    """PSNR of f(sample) against the observation, averaged over samples: ``[B, N, ...]``, ``[B, ...]`` -> ``[B]``."""
    count = sample_predictions.shape[1]
    return torch.stack([psnr(sample_predictions[:, i], observation) for i in range(count)], 1).mean(1)


def summarise(posterior: Any, index: int = 0) -> dict[str, float]:
    """The spread and fit numbers of one observation of a :class:`~invgen.api.Posterior`, as floats."""
    keep = slice(index, index + 1)
    std = region_means(posterior.std[keep].mean(1), posterior.mask)
    pairs = region_means(pairwise_distance(posterior.samples[keep]), posterior.mask)
    summary = {f"mean_std_{region}" if region != "all" else "mean_std": value.item() for region, value in std.items()}
    summary.update({f"pairwise_distance_{region}": value.item() for region, value in pairs.items()})
    observation = posterior.observation[keep]
    summary["psnr_samples_vs_observation"] = sample_fit_psnr(posterior.sample_predictions[keep], observation).item()
    if posterior.map_prediction is not None:
        summary["psnr_map_vs_observation"] = psnr(posterior.map_prediction[keep], observation).item()
    return summary
