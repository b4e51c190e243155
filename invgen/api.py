"""The Python API: reconstruct an observation (MAP) or sample its posterior (VI).

>>> import invgen
>>> result = invgen.reconstruct(observation, generator="toy", forward=["blur:sigma=2"], preset="brgm")
>>> result.image.shape        # [B, C, H, W] in [-1, 1]

Both are thin: they build a :class:`~invgen.problem.build.Problem` and call :func:`invgen.solve`;
pipelines that reuse a problem or mix settings call those two directly.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

import torch
from torch import Tensor

from invgen.errors import UsageError
from invgen.problem.arguments import problem_arguments
from invgen.problem.components import ForwardSpec
from invgen.problem.interfaces import Generator, Loss, Prior
from invgen.problem.build import build_problem
from invgen.problem.results import Posterior, Reconstruction
from invgen.solvers.solving import solve
from invgen.solvers.map import MAPSettings, Progress
from invgen.solvers.vi import VISettings
from invgen.solvers.mcmc import MCMCSettings


def reconstruct(
    observed: Tensor | str | Path,
    generator: str | Generator,
    forward: ForwardSpec = "identity",
    losses: Sequence[str | Loss] | None = None,
    priors: Sequence[str | Prior] | None = None,
    preset: str | None = None,
    steps: int = 200,
    lr: float = 0.05,
    schedule: str = "cosine",
    seed: int = 0,
    device: str | torch.device = "cpu",
    ground_truth: Tensor | None = None,
    init: Tensor | None = None,
    precision: str = "fp32",
    callback: Callable[[Progress], None] | None = None,
    consistency: str = "none",
) -> Reconstruction:
    """MAP reconstruction of ``observed`` (``[C, H, W]``, ``[B, C, H, W]`` or an image path).

    ``forward`` is a spec, a forward model or a list of them (applied in order). Terms come
    from ``preset`` and/or ``losses``/``priors`` (see :func:`~invgen.problem.terms.select_terms`). With
    ``ground_truth`` (clean images ``[B, C, H, W]``) the result carries PSNR/SSIM/RMSE/LPIPS.
    ``precision="bf16"`` runs the networks in bfloat16 while optimising (see :mod:`invgen.runtime.precision`).
    ``consistency="paste"`` or ``"project"`` makes the result agree with the observation afterwards
    (:mod:`invgen.solvers.consistency`; ``raw_image`` keeps G(w)).
    """
    problem_arguments(generator, forward, losses, priors, preset, device)
    settings = MAPSettings(steps=steps, lr=lr, schedule=schedule, seed=seed, precision=precision)
    problem = build_problem(observed, generator, forward, losses, priors, preset, device, ground_truth=ground_truth)
    return solve(problem, settings, init=init, callback=callback, consistency=consistency)  # type: ignore


def sample_posterior(
    observed: Tensor | str | Path,
    generator: str | Generator,
    forward: ForwardSpec = "identity",
    losses: Sequence[str | Loss] | None = None,
    priors: Sequence[str | Prior] | None = None,
    preset: str | None = None,
    samples: int | None = None,
    settings: VISettings | MCMCSettings = VISettings(),
    device: str | torch.device = "cpu",
    ground_truth: Tensor | None = None,
    callback: Callable[[Progress], None] | None = None,
) -> Posterior:
    """The posterior over w for ``observed``: ``samples`` reconstructions (default: ``settings.samples``), mean
    and std maps, fitted by VI (:class:`VISettings`) or sampled by MALA (:class:`MCMCSettings`, asymptotically
    exact; with ``Posterior.chain_diagnostics``).

    Without terms or a preset the plugins' default VI preset is used (``bayes`` with invgen-losses):
    a Gaussian pixel likelihood and a Gaussian prior, so that the ELBO's balance of fit and spread
    means something.
    """
    problem_arguments(generator, forward, losses, priors, preset, device)
    if not isinstance(settings, (VISettings, MCMCSettings)):
        raise UsageError(f"settings must be VISettings or MCMCSettings (sample_posterior samples a posterior), not "
                         f"{type(settings).__name__}")
    settings = settings if samples is None else replace(settings, samples=samples)
    problem = build_problem(observed, generator, forward, losses, priors, preset, device, method="vi",
                            ground_truth=ground_truth)
    return solve(problem, settings, callback=callback)  # type: ignore[return-value]
