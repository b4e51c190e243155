"""A mixture of Gaussians over the latent, one component per diverse start (``--method vi --starts K``).

One Gaussian q sits on one mode: an ambiguous observation (a digit seen at 8x8, a mostly hidden one)
has several, and the samples of one q show one answer. Here K starts (:mod:`invgen.solvers.starts`) are each
warm-started by MAP and fitted by VI in one batch; component k gets the weight softmax_k(ELBO_k / T), the
usual approximation of its share of the evidence (exp(ELBO_k) bounds the evidence q_k explains) at a
temperature T that a calibration fits so that the weights say how often a component is right
(:mod:`invgen.solvers.mode_weights`; T = 1 uncalibrated).
Samples are assigned to components by systematic resampling, so a component of weight w gets
floor(w N) or ceil(w N) of N samples: every component that carries at least 1/N of the weight is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import torch
from torch import Tensor

from invgen.problem.objective import Objective
from invgen.solvers.map import Progress
from invgen.solvers.mode_weights import mode_probabilities
from invgen.solvers.vi import VIResult, VISettings, solve_vi


@dataclass
class MixtureResult:
    """The fitted mixture: ``components`` (a :class:`VIResult` over ``B*K`` rows, observation b's components
    being rows b*K .. b*K+K-1, each with ``num_samples`` samples), ``weights [B, K]``, ``elbo [B, K]``, and the
    mixture's ``samples [B, N, C, H, W]`` (rendered from latents ``draws [B, N, L, D]``) drawn from component
    ``component_of [B, N]``."""

    components: VIResult
    weights: Tensor
    elbo: Tensor
    samples: Tensor
    component_of: Tensor
    draws: Tensor

    @property
    def image_mean(self) -> Tensor:
        return self.samples.mean(1)

    @property
    def image_std(self) -> Tensor:
        return self.samples.std(1) if self.samples.shape[1] > 1 else torch.zeros_like(self.samples[:, 0])

    @property
    def interrupted(self) -> bool:
        return self.components.interrupted


def systematic_assignment(weights: Tensor, count: int, generator: torch.Generator) -> Tensor:
    """``count`` component indices per row of ``weights [B, K]`` (rows summing to 1) by systematic
    resampling: one uniform offset u per row, draws at (u + i) / count on the cumulative weights. Unbiased
    (component k is drawn weight_k * count times in expectation), and never more than one away from it."""
    batch = weights.shape[0]
    offsets = torch.rand(batch, 1, generator=generator, dtype=torch.float64)
    points = (offsets + torch.arange(count, dtype=torch.float64)) / count
    cumulative = weights.double().cumsum(1)
    cumulative[:, -1] = 1.0  # rounding must not leave the last point beyond the last component
    return torch.searchsorted(cumulative, points, right=True).clamp_max(weights.shape[1] - 1)


def solve_mixture(objective: Objective, settings: VISettings, starts: Tensor, num_samples: int,
                  callback: Callable[[Progress], None] | None = None, temperature: float = 1.0) -> MixtureResult:
    """Fit one q per start ``starts [B, K, L, D]`` (K per observation), weigh them by ELBO / ``temperature``
    and draw ``num_samples`` mixture samples per observation."""
    batch, count = starts.shape[:2]
    fitted = solve_vi(objective.repeated(count), replace(settings, starts=1), num_samples=num_samples,
                      callback=callback, init=starts.flatten(0, 1), estimate_elbo=True)
    elbo = fitted.elbo.view(batch, count).cpu()
    weights = mode_probabilities(elbo, temperature)
    rng = torch.Generator().manual_seed(settings.seed)
    chosen = systematic_assignment(weights, num_samples, rng)
    rows, columns = torch.arange(batch)[:, None], torch.arange(num_samples)[None, :]

    def mixed(per_row: Tensor) -> Tensor:
        """The i-th mixture sample of observation b is the i-th sample of its component: the draws stay independent."""
        per_component = per_row.view(batch, count, num_samples, *per_row.shape[2:])
        return per_component[rows, chosen.to(per_component.device), columns]

    return MixtureResult(fitted, weights, elbo, mixed(fitted.samples), chosen, mixed(fitted.draws))
