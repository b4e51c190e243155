"""``invgen calibrate``: fit the std scale of a posterior method on images whose ground truth is known.

The clean images are corrupted by the forward chain (noise seeded), the posterior is fitted in batches as
``invgen run --method vi`` would, and the ratios |truth - mean| / (k std) of every pixel (the hidden ones
when the chain masks some) give the scale (:func:`invgen.evaluation.calibration.fit_scale`). The fit of f(mean) to each
observation is kept too: it is what the generator achieves on in-domain images.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import Tensor

from invgen.evaluation.calibration import TARGET, WIDTH, Calibration, fit_scale, ratios
from invgen.problem.terms import objective_identity
from invgen.problem.metrics import fit_db
from invgen.evaluation.experiment import evenly_spaced, load_images
from invgen.evaluation.trials import observations
from invgen.problem.build import build_setup
from invgen.registry.records import Task
from invgen.solvers.vi import VISettings
from invgen.solvers.solving import solve


def calibrate(generator: str, forward: Sequence[str], data: str, settings: VISettings, limit: int | None = None,
              preset: str | None = None, losses: Sequence[str] = (), priors: Sequence[str] = (), batch: int = 50,
              target: float = TARGET, k: float = WIDTH, device: str | torch.device = "cpu",
              on_batch: Callable[[int], None] = lambda count: None) -> Calibration:
    """Fit and return the calibration (not saved) of ``settings``' posterior on ``data`` under ``forward``."""
    setup = build_setup(generator, losses, priors, preset, device, "vi")
    clean = evenly_spaced(load_images(data, setup.generator.image_shape), limit)
    observed, _ = observations(Task("calibration", tuple(forward)), clean, settings.seed)
    found: list[Tensor] = []
    fits: list[float] = []
    region = "all"
    for start in range(0, len(clean), batch):
        rows = slice(start, start + batch)
        result = solve(setup.pose(observed[rows], list(forward)), settings)
        if result.interrupted:
            raise KeyboardInterrupt
        hidden = _hidden(result.mask, clean.shape)
        region = "all" if hidden is None else "hidden"
        found.append(ratios(result.image, result.std, clean[rows], k, hidden))
        fits += fit_db(result.prediction, result.observation, result.mask)
        on_batch(len(clean[rows]))
    every = torch.cat(found)
    scale = fit_scale(every, target)
    terms = setup.terms
    return Calibration(
        generator, tuple(forward), objective_identity(terms.losses, terms.priors, terms.tie_layers, settings.basis),
        scale, k, target, len(clean), region, round((every <= 1).double().mean().item(), 4),
        round((every <= scale).double().mean().item(), 4), _quantiles(fits), data, {"limit": limit, "preset": terms.preset, "steps": settings.steps, "map_steps": settings.map_steps,
               "samples": settings.samples, "starts": settings.starts, "precision": settings.precision,
               "seed": settings.seed})


def _quantiles(fits: list[float]) -> tuple[float, ...]:
    """5%, 50% and 95% of the fits (dB); exact fits (infinite dB) count as the largest."""
    values = torch.tensor(fits, dtype=torch.float64).nan_to_num(posinf=math.inf)
    finite_max = values[values.isfinite()].max().item() if values.isfinite().any() else 200.0
    clipped = values.clamp(max=finite_max)
    return tuple(round(v, 3) for v in torch.quantile(clipped, torch.tensor([0.05, 0.5, 0.95],
                                                                           dtype=torch.float64)).tolist())


def _hidden(mask: Tensor | None, shape: torch.Size) -> Tensor | None:
    """The hidden pixels ``[1, 1, H, W]`` of a mask of the images' size that hides some, else None."""
    if mask is None or mask.shape[-2:] != shape[-2:]:
        return None
    hidden = mask.reshape(-1, *mask.shape[-2:])[:1, None] <= 0.5
    return hidden if hidden.any() else None
