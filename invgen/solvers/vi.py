"""Variational inference over the latent: a mean-field Gaussian q(w) = N(m, diag(s^2)).

We maximise ELBO(q) = E_q[-objective(w)] + H(q) with K reparameterised samples per step
(w = m + s * eps), i.e. minimise ``mean_k objective(w_k) - sum log s``. The entropy H(q) is
part of the objective: without it nothing stops s from shrinking to zero and q collapses onto
the MAP point (see docs/method.md). For calibrated spreads the objective must be a negative
log density (the ``bayes`` preset), not arbitrarily weighted terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from invgen.problem.objective import Objective
from invgen.runtime.precision import check_precision
from invgen.solvers.basis import check_cost, data_aligned_basis
from invgen.problem.arguments import choice, flag, real_number, whole_number
from invgen.solvers.map import MAX_STARTS, MAPResult, Progress, check_finite, warm_started


BASES = ("latent", "data")
DEFAULT_STD_LR = {"latent": 0.1, "data": 0.5}
MAX_SAMPLES = 1024  # samples drawn (and written as pictures) per observation


@dataclass(frozen=True)
class VISettings:
    """``steps`` Adam steps at ``lr`` for m and ``std_lr`` for the softplus parameter of s (both cosine-decayed
    to 0) with ``samples_per_step`` (K) samples. ``init_std`` is the start of s in units of the latent std;
    Adam moves the softplus parameter by about ``std_lr`` per step, so s can change by a factor of at
    most about exp(steps * std_lr / 2): ``std_lr`` must let s reach its optimum (None: 0.1 for
    ``basis=latent``, 0.5 for ``basis=data``, whose spreads span more decades; both chosen on the
    training split, docs/results.md). ``warm_start`` runs MAP
    first (``map_steps`` at ``map_lr``) and starts m there; ``precision`` as in
    :class:`~invgen.solvers.map.MAPSettings` (the final samples are drawn in float32). ``samples``
    reconstructions are drawn from the fitted q.

    ``basis`` ``latent`` is mean-field over the coordinates of w. Such a q cannot follow the few
    latent directions the data pin down: each coordinate's variance leaks into them, so samples
    miss the observation by about sigma * sqrt(latent dims / observed values) per value
    (docs/method.md). ``data`` is diagonal in a basis aligned with those directions instead
    (:mod:`invgen.solvers.basis`, computed at the warm start; one backward pass per observed value).
    ``starts`` > 1 fits a mixture of that many such q from diverse starts (:mod:`invgen.solvers.mixture`)."""

    steps: int = 200
    lr: float = 0.02
    std_lr: float | None = None
    samples_per_step: int = 4
    init_std: float = 0.1
    warm_start: bool = True
    map_steps: int = 200
    map_lr: float = 0.05
    seed: int = 0
    entropy: bool = True
    precision: str = "fp32"
    basis: str = "latent"
    samples: int = 8
    starts: int = 1

    def __post_init__(self) -> None:
        whole_number("steps", self.steps, 1)
        real_number("lr", self.lr, positive=True)
        whole_number("samples_per_step", self.samples_per_step, 1, MAX_SAMPLES)
        real_number("init_std", self.init_std, positive=True)
        flag("warm_start", self.warm_start)
        whole_number("map_steps", self.map_steps, 1)
        real_number("map_lr", self.map_lr, positive=True)
        whole_number("seed", self.seed, 0)
        flag("entropy", self.entropy)
        check_precision(self.precision)
        choice("basis", self.basis, BASES)
        whole_number("samples", self.samples, 1, MAX_SAMPLES)
        whole_number("starts", self.starts, 1, MAX_STARTS)
        if self.std_lr is None:
            object.__setattr__(self, "std_lr", DEFAULT_STD_LR[self.basis])
        real_number("std_lr", self.std_lr, positive=True)


@dataclass
class VIResult:
    """The fitted q and what it implies.

    ``mean``/``std`` ``[B, L, D]`` are q's mean and marginal std per coordinate (with ``basis=data``
    q is correlated: ``scale`` ``[B, L*D, L*D]`` then holds A with covariance A A^T); ``samples`` ``[B, N, C, H, W]`` are G(w) for N
    draws (``draws [B, N, L, D]``); ``image_mean``/``image_std`` ``[B, C, H, W]`` are their per-pixel mean and std;
    ``history`` holds the ELBO and its parts per step; ``map`` is the warm start, if any.
    """

    mean: Tensor
    std: Tensor
    samples: Tensor
    image_mean: Tensor
    image_std: Tensor
    history: dict[str, list[float]] = field(default_factory=dict)
    map: MAPResult | None = None
    interrupted: bool = False
    scale: Tensor | None = None
    elbo: Tensor | None = None
    draws: Tensor | None = None


ELBO_DRAWS = 16  # draws per observation for the final ELBO estimate (``elbo=True``)


def _softplus_inverse(x: Tensor) -> Tensor:
    return x + torch.log(-torch.expm1(-x))


def solve_vi(
    objective: Objective,
    settings: VISettings = VISettings(),
    num_samples: int = 8,
    callback: Callable[[Progress], None] | None = None,
    init: Tensor | None = None,
    estimate_elbo: bool = False,
) -> VIResult:
    """Fit q to ``objective``'s posterior, then draw ``num_samples`` reconstructions per observation.

    ``init [B, L, D]`` replaces the generator's mean latent as the start (of the warm start, if any);
    ``estimate_elbo`` also estimates each observation's final ELBO from :data:`ELBO_DRAWS` draws (``VIResult.elbo``)."""
    generator = objective.generator
    batch = objective.observation.shape[0]
    latent_std = generator.latent_stats().std.to(objective.observation).item()
    if settings.basis == "data":
        check_cost(objective)  # before the warm start, not after it
    warm, start = warm_started(objective, settings, init)
    mean = start.detach().clone().requires_grad_(True)
    basis, log_det = data_aligned_basis(objective, start) if settings.basis == "data" else (None, 0.0)
    shape = start.shape if basis is None else start.flatten(1).shape
    init = settings.init_std * (latent_std if basis is None else 1.0)  # the data basis is whitened
    rho = _softplus_inverse(torch.full(shape, init).to(start)).requires_grad_(True)

    def offsets(std: Tensor, eps: Tensor) -> Tensor:
        """w - m for standard normal draws ``eps [B, K, *shape[1:]]``: ``[B, K, L, D]``."""
        if basis is None:
            return std[:, None] * eps
        return ((std[:, None] * eps) @ basis.transpose(1, 2)).view(batch, -1, *start.shape[1:])

    optimizer = torch.optim.Adam([{"params": [mean], "lr": settings.lr}, {"params": [rho], "lr": settings.std_lr}])
    k = settings.samples_per_step
    repeated = objective.repeated(k)
    rng = torch.Generator().manual_seed(settings.seed)
    history: dict[str, list[float]] = {"elbo": [], "expected_objective": [], "entropy": []}
    interrupted = warm is not None and warm.interrupted  # stopped during the warm start: q stays at its start
    try:
        for step in range(0 if interrupted else settings.steps):
            decay = 0.5 * (1 + math.cos(math.pi * step / settings.steps))
            lr = settings.lr * decay
            optimizer.param_groups[0]["lr"] = lr
            optimizer.param_groups[1]["lr"] = settings.std_lr * decay
            std = F.softplus(rho)
            eps = torch.randn((batch, k, *shape[1:]), generator=rng, dtype=start.dtype).to(start.device)
            w = (mean[:, None] + offsets(std, eps)).flatten(0, 1)
            evaluation = repeated.evaluate(w, settings.precision)
            check_finite(evaluation.terms, step)
            expected = evaluation.total.view(batch, k).mean(1)
            entropy = gaussian_entropy(std, log_det)
            loss = expected - (entropy if settings.entropy else 0)
            optimizer.zero_grad(set_to_none=True)
            loss.sum().backward()
            optimizer.step()
            elbo = (-expected + entropy).detach()
            history["elbo"].append(elbo.mean().item())
            history["expected_objective"].append(expected.detach().mean().item())
            history["entropy"].append(entropy.detach().mean().item())
            if callback is not None:
                callback(Progress(step + 1, settings.steps, -history["elbo"][-1],
                                  {"expected_objective": history["expected_objective"][-1]}, lr, mean.detach()))
    except KeyboardInterrupt:
        interrupted = True
    if not history["elbo"] and not interrupted:
        raise KeyboardInterrupt
    with torch.no_grad():
        std = F.softplus(rho)
        estimate = None
        if estimate_elbo:
            eps = torch.randn((batch, ELBO_DRAWS, *shape[1:]), generator=rng, dtype=start.dtype).to(start.device)
            draws = (mean[:, None] + offsets(std, eps)).flatten(0, 1)
            totals = objective.repeated(ELBO_DRAWS).evaluate(draws, "fp32").total.view(batch, ELBO_DRAWS)
            estimate = (-totals.mean(1) + gaussian_entropy(std, log_det)).float()
        eps = torch.randn((batch, num_samples, *shape[1:]), generator=rng, dtype=start.dtype).to(start.device)
        draws = mean[:, None] + offsets(std, eps)
        images = torch.stack([generator.synthesize(draws[:, i]) for i in range(num_samples)], dim=1)
        scale = None if basis is None else basis * std[:, None, :]
        if scale is not None:  # the marginal std of each coordinate of w
            std = scale.square().sum(2).sqrt().view(start.shape)
    return VIResult(mean.detach(), std.detach(), images, images.mean(1),
                    images.std(1) if num_samples > 1 else torch.zeros_like(images[:, 0]), history, warm, interrupted,
                    scale, estimate, draws.detach())


def gaussian_entropy(std: Tensor, log_det: Tensor | float = 0.0) -> Tensor:
    """Entropy of N(m, A diag(std^2) A^T) per observation, ``log_det`` = log |det A| (0 for A = I)."""
    return std.log().flatten(1).sum(1) + log_det + 0.5 * std[0].numel() * (1 + math.log(2 * math.pi))
