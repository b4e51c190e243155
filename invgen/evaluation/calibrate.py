"""``invgen calibrate``: fit the std scale of a posterior, and the temperature of several starts' mode
probabilities, on images whose ground truth is known.

The clean images are corrupted by the forward chain (noise seeded) and solved in batches as ``invgen run``
would. VI: the ratios |truth - mean| / (k std) of every pixel (the hidden ones when the chain masks some) give
the scale (:func:`invgen.evaluation.calibration.fit_scale`). With several starts (MAP modes, a VI mixture) the
mode nearest each truth (over the same pixels) is the right one, and the temperature that makes it most
likely is fitted (:func:`invgen.solvers.mode_weights.fit_temperature`). The fit of f(mean) to each
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
from invgen.errors import UsageError
from invgen.problem.results import Posterior, Reconstruction
from invgen.solvers.map import MAPSettings
from invgen.solvers.mode_weights import fit_temperature, mode_nll, nearest_modes
from invgen.solvers.vi import VISettings
from invgen.solvers.solving import solve


def calibrate(generator: str, forward: Sequence[str], data: str, settings: VISettings | MAPSettings,
              limit: int | None = None, preset: str | None = None, losses: Sequence[str] = (),
              priors: Sequence[str] = (), batch: int = 50, target: float = TARGET, k: float = WIDTH,
              device: str | torch.device = "cpu", on_batch: Callable[[int], None] = lambda count: None) -> Calibration:
    """Fit and return the calibration (not saved) of ``settings``' solver on ``data`` under ``forward``: the std
    scale for VI, the mode temperature with ``starts`` > 1 (MAP needs them: it has nothing else to calibrate)."""
    posterior = isinstance(settings, VISettings)
    if not posterior and settings.starts < 2:
        raise UsageError("a MAP solve has no std map: calibrate its modes with --starts K (K >= 2), or use --method vi")
    setup = build_setup(generator, losses, priors, preset, device, "vi" if posterior else "map")
    clean = evenly_spaced(load_images(data, setup.generator.image_shape), limit)
    observed, _ = observations(Task("calibration", tuple(forward)), clean, settings.seed)
    found: list[Tensor] = []
    evidence: list[Tensor] = []
    nearest: list[Tensor] = []
    fits: list[float] = []
    region = "all"
    for start in range(0, len(clean), batch):
        rows = slice(start, start + batch)
        result = solve(setup.pose(observed[rows], list(forward)), settings)
        if result.interrupted:
            raise KeyboardInterrupt
        hidden = _hidden(result.mask, clean.shape)
        region = "all" if hidden is None else "hidden"
        if posterior:
            found.append(ratios(result.image, result.std, clean[rows], k, hidden))
        if settings.starts > 1:
            log_evidence, modes = _modes_of(result)
            evidence.append(log_evidence)
            nearest.append(nearest_modes(modes, clean[rows], hidden))
        fits += fit_db(result.prediction, result.observation, result.mask)
        on_batch(len(clean[rows]))
    terms = setup.terms
    scale, before, after = None, 0.0, 0.0
    if posterior:
        every = torch.cat(found)
        scale = fit_scale(every, target)
        before, after = (round((every <= value).double().mean().item(), 4) for value in (1.0, scale))
    temperature, modes_record = None, {}
    if settings.starts > 1:
        log_evidence, right = torch.cat(evidence), torch.cat(nearest)
        temperature = fit_temperature(log_evidence, right)
        modes_record = {"starts": settings.starts, "nll_uncalibrated": round(mode_nll(log_evidence, right, 1.0), 4),
                        "nll": round(mode_nll(log_evidence, right, temperature), 4),
                        "top_is_nearest": round((log_evidence.argmax(1) == right).double().mean().item(), 4)}
    extra = {"limit": limit, "preset": terms.preset, "steps": settings.steps, "starts": settings.starts,
             "precision": settings.precision, "seed": settings.seed, "method": "vi" if posterior else "map"}
    if posterior:
        extra.update({"map_steps": settings.map_steps, "samples": settings.samples})
    basis = settings.basis if posterior else None
    return Calibration(
        generator, tuple(forward), objective_identity(terms.losses, terms.priors, terms.tie_layers, basis),
        scale, k, target, len(clean), region, before, after, _quantiles(fits), data, extra, temperature, modes_record)


def _modes_of(result: Reconstruction | Posterior) -> tuple[Tensor, Tensor]:
    """The log evidence ``[B, K]`` of a multi-start result's modes and their images ``[B, K, C, H, W]``."""
    if isinstance(result, Posterior):
        return result.component_elbo, result.component_images
    return -result.mode_objectives, result.modes


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
