"""The one seam that runs a solver: ``solve(problem, settings)`` for MAP and VI alike.

:func:`invgen.reconstruct`, :func:`invgen.sample_posterior`, ``invgen run`` and ``invgen eval``
all come through here, so a result always carries the same record (specs, settings, device,
versions), timing, interruption flag and, when the clean images are known, the same metrics.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace
from typing import Any, Callable

import torch
from torch import Tensor

from invgen.problem.components import build_metrics
from invgen.solvers.consistency import check_applies, consistent
from invgen.solvers.starts import rank, screened_starts
from invgen.errors import UsageError
from invgen.problem.arguments import real_number
from invgen.problem.metrics import all_metrics
from invgen.problem.objective import Objective
from invgen.problem.build import Problem
from invgen.problem.results import Posterior, Reconstruction
from invgen.runtime.speed import fast_paths, kept_memory
from invgen.solvers.map import MAPSettings, Progress, solve_map
from invgen.solvers.mixture import solve_mixture, systematic_assignment
from invgen.solvers.mode_weights import mode_probabilities
from invgen.solvers.vi import VISettings, VIResult, solve_vi
from invgen.solvers.mcmc import MCMCSettings, mixture_weights, run_chains, summary_diagnostics

Settings = MAPSettings | VISettings | MCMCSettings


def solve(
    problem: Problem,
    settings: Settings,
    init: Tensor | None = None,
    callback: Callable[[Progress], None] | None = None,
    consistency: str = "none",
    temperature: float = 1.0,
) -> Reconstruction | Posterior:
    """Solve ``problem``: a MAP estimate for :class:`MAPSettings`, a variational posterior for :class:`VISettings`,
    MALA chains' draws for :class:`MCMCSettings`.

    ``init [B, L, D]`` starts MAP (VI: its warm start, or q's mean without one) from given latents; ``callback``
    sees each step's :class:`Progress`.
    Ctrl-C stops at the current step and returns the best result so far, marked ``interrupted``.
    ``consistency`` (paste or project, :mod:`invgen.solvers.consistency`) post-processes the reconstruction to agree
    with the observation; ``raw_image`` keeps G(w). It is checked before the solve. ``temperature`` scales
    the log evidence of several starts' modes before their probabilities are taken
    (:mod:`invgen.solvers.mode_weights`; a calibration's fitted value, 1 without one).
    """
    if init is not None:
        _check_init(init, problem)
        if getattr(settings, "starts", 1) > 1:
            raise UsageError("init and starts > 1 exclude each other: the starts are drawn by invgen")
    check_applies(problem.forward, problem.generator.image_shape, consistency, problem.device)  # before any compute
    real_number("temperature", temperature, positive=True, error=UsageError)
    objective = problem.objective()
    # every step allocates the same large tensors: keep them mapped meanwhile (2-3x on CPU at 1024 px)
    with kept_memory() if fast_paths() else contextlib.nullcontext():
        started = time.perf_counter()
        if isinstance(settings, MAPSettings):
            result: Reconstruction | Posterior = _solve_map(problem, objective, settings, init, callback, temperature)
        elif isinstance(settings, VISettings):
            result = _solve_vi(problem, objective, settings, init, callback, temperature)
        elif isinstance(settings, MCMCSettings):
            result = _solve_mcmc(problem, objective, settings, init, callback, temperature)
        else:
            raise UsageError(f"settings must be MAPSettings, VISettings or MCMCSettings, not {type(settings).__name__}")
    result.seconds = time.perf_counter() - started
    if consistency != "none":
        with torch.no_grad():
            agreed = consistent(result.image.to(problem.device), problem.observation, problem.forward, consistency)
            result.raw_image, result.image = result.image, agreed.cpu()
            result.prediction = problem.forward(agreed).cpu()
        result.config["consistency"] = consistency
    if problem.ground_truth is not None:
        result.ground_truth = problem.ground_truth.cpu()
        result.metrics = all_metrics(result.image, result.ground_truth, build_metrics())
    return result


def solver_method(settings: Settings) -> str:
    """The name a run records for its solver: map, vi or mcmc."""
    return {MAPSettings: "map", VISettings: "vi", MCMCSettings: "mcmc"}[type(settings)]


def _solve_map(problem: Problem, objective: Objective, settings: MAPSettings, init: Tensor | None,
               callback: Callable[[Progress], None] | None, temperature: float) -> Reconstruction:
    settings = replace(settings, tie_layers=settings.tie_layers or problem.terms.tie_layers)
    if settings.starts > 1:
        return _solve_starts(problem, objective, settings, callback, temperature)
    found = solve_map(objective, settings, init=None if init is None else init.to(problem.device), callback=callback)
    return Reconstruction(
        image=found.image.cpu(), observation=problem.observation.cpu(), prediction=found.prediction.cpu(),
        latent=found.latent.cpu(), objective=found.objective.cpu(), history=found.history,
        config=problem.config({"method": "map", **settings.__dict__}), mask=_cpu(objective.mask),
        interrupted=found.interrupted,
    )


def _solve_starts(problem: Problem, objective: Objective, settings: MAPSettings,
                  callback: Callable[[Progress], None] | None, temperature: float) -> Reconstruction:
    """K starts per observation in one batch (observation b's starts are rows b*K .. b*K+K-1), ranked, each
    with its probability from its objective at ``temperature``."""
    batch, count = len(problem.observation), settings.starts
    starts = screened_starts(objective, count, settings.seed, settings.precision)
    found = solve_map(objective.repeated(count), settings, init=starts.flatten(0, 1), callback=callback)
    order = rank(found.objective.view(batch, count))
    rows = (torch.arange(batch)[:, None] * count + order.cpu()).flatten()

    def ranked(values: Tensor) -> Tensor:
        return values[rows.to(values.device)].view(batch, count, *values.shape[1:])

    images, predictions = ranked(found.image).cpu(), ranked(found.prediction).cpu()
    objectives = ranked(found.objective).cpu()
    return Reconstruction(
        image=images[:, 0], observation=problem.observation.cpu(), prediction=predictions[:, 0],
        latent=ranked(found.latent)[:, 0].cpu(), objective=ranked(found.objective)[:, 0].cpu(),
        history=found.history,
        config=problem.config({"method": "map", **settings.__dict__, "temperature": temperature}),
        mask=_cpu(objective.mask), interrupted=found.interrupted, modes=images,
        mode_objectives=objectives, mode_predictions=predictions, mode_latents=ranked(found.latent).cpu(),
        mode_probabilities=mode_probabilities(-objectives, temperature),
    )


def _solve_vi(problem: Problem, objective: Objective, settings: VISettings, init: Tensor | None,
              callback: Callable[[Progress], None] | None, temperature: float) -> Posterior:
    mixture, components = None, None
    if settings.starts > 1:
        starts = screened_starts(objective, settings.starts, settings.seed, settings.precision)
        mixture = solve_mixture(objective, settings, starts, settings.samples, callback, temperature)
        found, samples, draws = mixture.components, mixture.samples, mixture.draws
        image_mean, image_std = mixture.image_mean, mixture.image_std
        with torch.no_grad():
            components = problem.generator.synthesize(found.mean).view(len(samples), settings.starts, *samples.shape[2:])
    else:
        found = solve_vi(objective, settings, num_samples=settings.samples, callback=callback,
                         init=None if init is None else init.to(problem.device))
        samples, draws, image_mean, image_std = found.samples, found.draws, found.image_mean, found.image_std
    with torch.no_grad():
        prediction = problem.forward(image_mean)
        sample_predictions = torch.stack([problem.forward(samples[:, i]) for i in range(settings.samples)], 1)
    solver: dict[str, Any] = {"method": "vi", "samples": settings.samples,
                              **{k: v for k, v in settings.__dict__.items() if k != "samples"}}
    if mixture is not None:
        solver["temperature"] = temperature
    top = _top_rows(found, None if mixture is None else mixture.weights)
    return Posterior(
        samples=samples.cpu(), sample_predictions=sample_predictions.cpu(), image=image_mean.cpu(),
        std=image_std.cpu(), observation=problem.observation.cpu(), prediction=prediction.cpu(),
        latent_mean=found.mean[top].cpu(), latent_std=found.std[top].cpu(), history=found.history,
        config=problem.config(solver), map_image=None if found.map is None else found.map.image[top].cpu(),
        map_prediction=None if found.map is None else found.map.prediction[top].cpu(), mask=_cpu(objective.mask),
        interrupted=found.interrupted, weights=None if mixture is None else mixture.weights,
        component_of=None if mixture is None else mixture.component_of,
        component_elbo=None if mixture is None else mixture.elbo, sample_latents=draws.cpu(),
        component_images=None if components is None else components.cpu(),
    )


def _solve_mcmc(problem: Problem, objective: Objective, settings: MCMCSettings, init: Tensor | None,
                callback: Callable[[Progress], None] | None, temperature: float) -> Posterior:
    """MALA chains (several per observation from the screened starts), their draws weighed as a mixture."""
    batch, count = len(problem.observation), settings.starts
    if count > 1:
        starts = screened_starts(objective, count, settings.seed, settings.precision).flatten(0, 1)
    else:
        starts = None if init is None else init.to(problem.device)
    chains = run_chains(objective.repeated(count), settings, init=starts, callback=callback)
    evidence, weights = mixture_weights(chains, batch, temperature)
    kept = chains.kept.shape[1]
    generator = problem.generator
    with torch.no_grad():
        images = torch.cat([generator.synthesize(chains.kept[:, i].to(problem.device)).cpu()[:, None]
                            for i in range(kept)], 1).float()  # [B*K, S, C, H, W]
    images = images.view(batch, count, kept, *images.shape[2:])
    chain_mean, chain_square = images.mean(2), images.square().mean(2)
    w = weights[:, :, None, None, None]
    image_mean = (w * chain_mean).sum(1)
    image_std = ((w * chain_square).sum(1) - image_mean.square()).clamp_min(0).sqrt()
    chosen = systematic_assignment(weights, settings.samples, torch.Generator().manual_seed(settings.seed))
    spaced = (torch.arange(settings.samples) * kept // settings.samples)[None, :].expand(batch, -1)
    rows = torch.arange(batch)[:, None]
    samples = images[rows, chosen, spaced]
    latents = chains.kept.view(batch, count, kept, *chains.kept.shape[2:])
    draws = latents[rows, chosen, spaced]
    top = weights.argmax(1)
    with torch.no_grad():
        prediction = problem.forward(image_mean.to(problem.device))
        sample_predictions = torch.stack([problem.forward(samples[:, i].to(problem.device))
                                          for i in range(settings.samples)], 1)
        components = generator.synthesize(latents.mean(2).flatten(0, 1).to(problem.device)).view(
            batch, count, *images.shape[3:]).cpu()
    chosen_latents = latents[torch.arange(batch), top]  # [B, S, L, D]
    solver: dict[str, Any] = {"method": "mcmc", **settings.__dict__}
    if count > 1:
        solver["temperature"] = temperature
    warm = chains.map
    top_rows = (torch.arange(batch) * count + top)
    return Posterior(
        samples=samples, sample_predictions=sample_predictions.cpu(), image=image_mean, std=image_std,
        observation=problem.observation.cpu(), prediction=prediction.cpu(), latent_mean=chosen_latents.mean(1),
        latent_std=chosen_latents.std(1) if kept > 1 else torch.zeros_like(chosen_latents[:, 0]),
        history=chains.history, config=problem.config(solver),
        map_image=None if warm is None else warm.image[top_rows.to(warm.image.device)].cpu(),
        map_prediction=None if warm is None else warm.prediction[top_rows.to(warm.prediction.device)].cpu(),
        mask=_cpu(objective.mask), interrupted=chains.interrupted,
        weights=weights if count > 1 else None, component_of=chosen if count > 1 else None,
        component_elbo=evidence.float() if count > 1 else None, sample_latents=draws,
        component_images=components if count > 1 else None,
        chain_diagnostics={name: value.float() for name, value in summary_diagnostics(chains, batch).items()},
    )


def _top_rows(found: VIResult, weights: Tensor | None) -> Tensor:
    """Rows of ``found`` to report as the posterior's q (and warm start): each observation's heaviest
    component for a mixture, else every row."""
    if weights is None:
        return torch.arange(len(found.mean))
    count = weights.shape[1]
    return (torch.arange(len(weights)) * count + weights.argmax(1)).to(found.mean.device)


def _check_init(init: Tensor, problem: Problem) -> None:
    """Starting latents must be ``[B, L, D]`` with the generator's L and D and one per observation."""
    expected = (len(problem.observation), *problem.generator.latent_shape)
    if not isinstance(init, Tensor) or tuple(init.shape) != expected:
        shape = list(init.shape) if isinstance(init, Tensor) else type(init).__name__
        raise UsageError(f"init must be latents of shape {list(expected)} (one per observation, the generator's "
                         f"layers and width), got {shape}")


def _cpu(tensor: Tensor | None) -> Tensor | None:
    return None if tensor is None else tensor.cpu()
