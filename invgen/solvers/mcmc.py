"""Sampling the latent's posterior by the Metropolis-adjusted Langevin algorithm (``--method mcmc``).

The posterior is exp(-objective(w)) (the objective must be a negative log density, as for VI: the ``bayes``
preset). MALA proposes w' = w - (h/2) s^2 grad U(w) + sqrt(h) s xi, a Langevin step preconditioned by the
latent's prior std s, and accepts it with the Metropolis-Hastings probability, so the chain's stationary law
is the posterior exactly, whatever h: what VI only approximates (Roberts & Tweedie 1996). Several chains per
observation start from MAP solutions of the screened starts (:mod:`invgen.solvers.starts`), all in one batch.
During ``burn_in`` each chain's step size h adapts towards the acceptance rate 0.574 (optimal for MALA,
Roberts & Rosenthal 1998) by a Robbins-Monro rule on log h; after it h is fixed and every ``thin``-th state
is kept. Split R-hat and the effective sample size (Vehtari et al. 2021) of each observation's log density
and latents say whether the chains agree. Chains stuck in different modes give a large R-hat; they are then
weighed as a VI mixture's components are: by the mean log density over the chain plus the entropy of a
diagonal Gaussian fitted to it, at the calibrated temperature (:mod:`invgen.solvers.mode_weights`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from invgen.problem.arguments import flag, real_number, whole_number
from invgen.problem.objective import Objective
from invgen.runtime.precision import check_precision
from invgen.solvers.diagnostics import effective_sample_size, split_rhat
from invgen.solvers.map import MAX_STARTS, MAPResult, Progress, check_finite, warm_started
from invgen.solvers.mode_weights import mode_probabilities
from invgen.solvers.vi import MAX_SAMPLES

TARGET_ACCEPTANCE = 0.574
SEARCH_TRIES = 12  # proposals tried to find a starting step size


@dataclass(frozen=True)
class MCMCSettings:
    """``burn_in`` adapting steps, then ``steps`` kept-or-thinned steps per chain (every ``thin``-th kept) of
    MALA from ``step_size`` (h, in units of the latent's prior variance), ``starts`` chains per observation
    (one from the MAP estimate; several from the screened starts, each warm-started by ``map_steps`` of MAP at
    ``map_lr`` when ``warm_start``). ``samples`` reconstructions are drawn from the kept states. ``precision``
    as for MAP (bf16 samples the density the bf16 networks compute)."""

    steps: int = 200
    burn_in: int = 100
    thin: int = 5
    step_size: float = 1e-3
    warm_start: bool = True
    map_steps: int = 200
    map_lr: float = 0.05
    seed: int = 0
    precision: str = "fp32"
    samples: int = 8
    starts: int = 1

    def __post_init__(self) -> None:
        whole_number("steps", self.steps, 1)
        whole_number("burn_in", self.burn_in, 0)
        whole_number("thin", self.thin, 1, self.steps)
        real_number("step_size", self.step_size, positive=True)
        flag("warm_start", self.warm_start)
        whole_number("map_steps", self.map_steps, 1)
        real_number("map_lr", self.map_lr, positive=True)
        whole_number("seed", self.seed, 0)
        check_precision(self.precision)
        whole_number("samples", self.samples, 1, MAX_SAMPLES)
        whole_number("starts", self.starts, 1, MAX_STARTS)


@dataclass
class MCMCResult:
    """The chains of ``B`` observations with ``K`` chains each (observation b's chains are rows b*K .. b*K+K-1):
    ``kept [B*K, S, L, D]`` thinned states after burn-in, ``log_density [B*K, S]`` (-objective there),
    ``acceptance [B*K]`` (after burn-in), ``step_size [B*K]`` (h after adaptation), ``map`` the warm start."""

    kept: Tensor
    log_density: Tensor
    acceptance: Tensor
    step_size: Tensor
    history: dict[str, list[float]]
    map: MAPResult | None
    interrupted: bool


def run_chains(objective: Objective, settings: MCMCSettings, init: Tensor | None = None,
               callback: Callable[[Progress], None] | None = None) -> MCMCResult:
    """Run one MALA chain per row of ``objective``'s observations from ``init [N, L, D]`` (or the mean latent),
    warm-started by MAP when asked. Ctrl-C keeps the states so far (at least the start)."""
    generator = objective.generator
    rows = objective.observation.shape[0]
    scale = generator.latent_stats().std.to(objective.observation).item()
    warm, start = warm_started(objective, settings, init)
    rng = torch.Generator().manual_seed(settings.seed)
    w = start.detach().clone()
    energy, gradient = _energy_and_gradient(objective, w, settings.precision, 0)
    log_h = _reasonable_step(objective, w, energy, gradient, scale, math.log(settings.step_size), settings, rng)
    accepted = torch.zeros(rows, dtype=torch.float64)
    kept: list[Tensor] = []
    densities: list[Tensor] = []
    history: dict[str, list[float]] = {"log_density": [], "acceptance": [], "step_size": []}
    total = settings.burn_in + settings.steps
    interrupted = warm is not None and warm.interrupted
    try:
        for step in range(0 if interrupted else total):
            noise = torch.randn(w.shape, generator=rng, dtype=w.dtype).to(w.device)
            proposal, new_energy, new_gradient, probability = _acceptance(objective, w, energy, gradient, scale, log_h,
                                                                         noise, settings.precision)
            accept = torch.rand(rows, generator=rng, dtype=torch.float64) < probability
            where = accept.to(w.device)
            w = torch.where(where[:, None, None], proposal, w)
            energy = torch.where(where, new_energy, energy)
            gradient = torch.where(where[:, None, None], new_gradient, gradient)
            if step < settings.burn_in:
                log_h += (probability - TARGET_ACCEPTANCE) / (step + 1) ** 0.6
            else:
                accepted += accept.double()
                if (step - settings.burn_in + 1) % settings.thin == 0:
                    kept.append(w.detach().cpu())
                    densities.append(-energy.detach().cpu())
            history["log_density"].append(-energy.mean().item())
            history["acceptance"].append(probability.mean().item())
            history["step_size"].append(log_h.exp().mean().item())
            if callback is not None:
                callback(Progress(step + 1, total, energy.mean().item(), {"acceptance": history["acceptance"][-1]},
                                  history["step_size"][-1], w.detach()))
    except KeyboardInterrupt:
        interrupted = True
    if not kept:  # stopped before the first kept state: the chain so far is its current state
        kept, densities = [w.detach().cpu()], [-energy.detach().cpu()]
    after = max(1, len(history["acceptance"]) - settings.burn_in)
    return MCMCResult(torch.stack(kept, 1), torch.stack(densities, 1), accepted / after, log_h.exp().float(),
                      history, warm, interrupted)


def _acceptance(objective: Objective, w: Tensor, energy: Tensor, gradient: Tensor, scale: float, log_h: Tensor,
                noise: Tensor, precision: str) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One MALA proposal from ``w`` with noise ``noise``: the proposal, its energy and gradient, and the
    Metropolis-Hastings acceptance probability per row (float64, on the CPU)."""
    h = log_h.exp().to(w)[:, None, None]
    proposal = w - 0.5 * h * scale**2 * gradient + h.sqrt() * scale * noise
    new_energy, new_gradient = _energy_and_gradient(objective, proposal, precision, 0)
    forward_move = _log_proposal(proposal, w, gradient, h, scale)
    backward_move = _log_proposal(w, proposal, new_gradient, h, scale)
    log_ratio = (energy - new_energy + backward_move - forward_move).double().cpu()
    return proposal, new_energy, new_gradient, log_ratio.clamp(max=0).exp().nan_to_num(0.0)


def _reasonable_step(objective: Objective, w: Tensor, energy: Tensor, gradient: Tensor, scale: float, log_h0: float,
                     settings: MCMCSettings, rng: torch.Generator) -> Tensor:
    """Per row, a starting log step size whose first proposal is accepted with probability about 0.2-0.9: a
    sharp likelihood needs steps many decades below a broad one's, more than burn-in's adaptation moves (as
    NUTS's initial step-size search; before any state is kept, so the chain stays exact)."""
    rows = w.shape[0]
    log_h = torch.full((rows,), log_h0, dtype=torch.float64)
    if settings.burn_in == 0:
        return log_h
    for _ in range(SEARCH_TRIES):
        noise = torch.randn(w.shape, generator=rng, dtype=w.dtype).to(w.device)
        probability = _acceptance(objective, w, energy, gradient, scale, log_h, noise, settings.precision)[3]
        low, high = probability < 0.2, probability > 0.9
        if not (low | high).any():
            break
        log_h = torch.where(low, log_h - math.log(10), torch.where(high, log_h + math.log(3), log_h))
    return log_h


def _energy_and_gradient(objective: Objective, w: Tensor, precision: str, step: int) -> tuple[Tensor, Tensor]:
    """The objective U per row at ``w`` and its gradient with respect to ``w``."""
    w = w.detach().requires_grad_(True)
    evaluation = objective.evaluate(w, precision)
    check_finite(evaluation.terms, step)
    (gradient,) = torch.autograd.grad(evaluation.total.sum(), w)
    return evaluation.total.detach(), gradient.detach()


def _log_proposal(to: Tensor, at: Tensor, gradient: Tensor, h: Tensor, scale: float) -> Tensor:
    """log q(to | at) of the preconditioned Langevin proposal, up to a constant common to both directions."""
    mean = at - 0.5 * h * scale**2 * gradient
    return -(to - mean).square().flatten(1).sum(1) / (2 * h.flatten() * scale**2)


def chain_evidence(result: MCMCResult) -> Tensor:
    """Each chain's log evidence estimate ``[B*K]``: the mean log density over its kept states plus the entropy of
    a diagonal Gaussian fitted to them (the chain's mode as a VI component would be weighed)."""
    states = result.kept.double().flatten(2)
    if states.shape[1] < 2:
        return result.log_density.double().mean(1)
    spread = states.std(1).clamp_min(1e-12)
    entropy = spread.log().sum(1) + 0.5 * states.shape[2] * (1 + math.log(2 * math.pi))
    return result.log_density.double().mean(1) + entropy


def summary_diagnostics(result: MCMCResult, batch: int) -> dict[str, Tensor]:
    """Per observation ``[B]``: split R-hat of the log density, the largest over the latent coordinates, the
    effective sample size of the log density and the smallest over the coordinates, and the mean acceptance."""
    count = result.kept.shape[0] // batch
    density = result.log_density.double().view(batch, count, -1)
    states = result.kept.double().flatten(2).view(batch, count, result.kept.shape[1], -1)
    return {
        "rhat": split_rhat(density),
        "rhat_max_latent": split_rhat(states.permute(0, 3, 1, 2)).amax(1),
        "ess": effective_sample_size(density),
        "ess_min_latent": effective_sample_size(states.permute(0, 3, 1, 2)).amin(1),
        "acceptance": result.acceptance.view(batch, count).mean(1),
    }


def mixture_weights(result: MCMCResult, batch: int, temperature: float) -> tuple[Tensor, Tensor]:
    """The chains' log evidence ``[B, K]`` and their weights at ``temperature``."""
    evidence = chain_evidence(result).view(batch, -1)
    return evidence, mode_probabilities(evidence, temperature)
