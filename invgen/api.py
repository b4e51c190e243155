"""The Python API: build components from specs and reconstruct an observation.

>>> import invgen
>>> result = invgen.reconstruct(observation, generator="toy", forward=["blur:sigma=2"], preset="brgm")
>>> result.image.shape        # [B, C, H, W] in [-1, 1]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from torch import Tensor

from invgen.forward import Chain, chain
from invgen.interfaces import ForwardModel, Generator, Loss, Prior
from invgen.io import InputError, load_image
from invgen.metrics import all_metrics
from invgen.objective import Objective
from invgen.plugins import manager, registry
from invgen.registry import spec_of
from invgen.solvers.map import MAPSettings, Progress, solve_map
from invgen.solvers.vi import VISettings, solve_vi
from invgen.spec import SpecError, parse_spec

ForwardSpec = str | ForwardModel | Sequence[str | ForwardModel]


def build_generator(spec: str | Generator) -> Generator:
    """A generator from a spec such as ``"toy:size=32"`` (objects pass through), in eval mode."""
    built = registry().build("generator", spec)
    return built.eval().requires_grad_(False)


def build_forward(spec: ForwardSpec) -> ForwardModel:
    """A forward model from a spec; a list of specs gives a :class:`~invgen.forward.Chain`."""
    if isinstance(spec, (list, tuple)):
        return chain([build_forward(part) for part in spec])
    return registry().build("forward", spec)


def build_loss(spec: str | Loss) -> Loss:
    """A data term from a spec such as ``"pixel:sigma=0.05"`` (objects pass through)."""
    return registry().build("loss", spec)


def build_prior(spec: str | Prior) -> Prior:
    """A prior term from a spec such as ``"colinear:weight=0.05"`` (objects pass through)."""
    return registry().build("prior", spec)


def select_terms(
    preset: str | None, losses: Sequence[str | Loss] | None, priors: Sequence[str | Prior] | None,
    default_preset: str = "brgm",
) -> tuple[list[str | Loss], list[str | Prior], bool, str | None]:
    """Merge a preset with explicit terms: an explicit term replaces the preset's term of the same name.

    Without a preset or terms, ``default_preset`` is used when a plugin registers it. Returns
    the loss terms, prior terms, whether layers are tied, and the preset actually used.
    """
    losses, priors = list(losses or []), list(priors or [])
    if preset is None and not losses and not priors:
        if default_preset not in registry().presets:
            raise SpecError(f"no loss or prior given and no {default_preset!r} preset installed: "
                            "pass --loss/--prior or --preset")
        preset = default_preset
    if preset is None:
        return losses, priors, False, None
    chosen = registry().preset(preset)
    return (_override(list(chosen.losses), losses), _override(list(chosen.priors), priors), chosen.tie_layers,
            preset)


def _override(defaults: list[Any], explicit: list[Any]) -> list[Any]:
    names = {_term_name(term) for term in explicit}
    return [term for term in defaults if _term_name(term) not in names] + explicit


def _term_name(term: Any) -> str:
    if isinstance(term, str):
        return parse_spec(term).name
    info = getattr(term, "spec_info", None)
    return info.name if info is not None else type(term).__name__


def resolve_device(device: str | torch.device) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is a one-line error."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    chosen = torch.device(device)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise SpecError("device 'cuda' requested but no CUDA GPU is available: use --device cpu or auto")
    return chosen


def as_batch(observed: Tensor | str | Path, channels: int) -> Tensor:
    """An observation as ``[B, C, H, W]`` float: tensors are taken as they are, paths are read."""
    if isinstance(observed, (str, Path)):
        return load_image(observed, channels)
    if observed.dim() == 3:
        observed = observed.unsqueeze(0)
    if observed.dim() != 4:
        raise InputError(f"an observation must be [C, H, W] or [B, C, H, W], got shape {tuple(observed.shape)}")
    return observed.float() if not observed.is_floating_point() else observed


def check_observation(observation: Tensor, generator: Generator, forward: ForwardModel) -> None:
    """A one-line error unless the observation has the shape that f(G(w)) has."""
    try:
        expected = tuple(forward.output_shape(generator.image_shape))
    except ValueError as error:
        raise SpecError(f"forward model {forward.spec!r} cannot take {_shape(generator.image_shape)} images: {error}") from None
    if tuple(observation.shape[1:]) != expected:
        raise InputError(
            f"the observation is {_shape(observation.shape[1:])} but {generator.spec!r} "
            f"({_shape(generator.image_shape)}) through {forward.spec!r} gives {_shape(expected)}; "
            "resize it, or pass a clean image with --simulate"
        )


def _shape(shape: Sequence[int]) -> str:
    return "x".join(str(int(s)) for s in shape)


@dataclass
class Problem:
    """Everything a solver needs: built components, the observation on its device, and the preset used."""

    generator: Generator
    forward: Chain
    losses: list[Loss]
    priors: list[Prior]
    observation: Tensor
    preset: str | None
    tie_layers: bool
    device: torch.device

    def objective(self) -> Objective:
        return Objective(self.generator, self.forward, self.losses, self.priors, self.observation)

    def config(self, solver: dict[str, Any]) -> dict[str, Any]:
        """Everything needed to repeat a run: specs, solver settings, device and versions."""
        return {
            "generator": spec_of(self.generator),
            "forward": [spec_of(part) for part in self.forward.parts],
            "losses": [spec_of(term) for term in self.losses],
            "priors": [spec_of(term) for term in self.priors],
            "preset": self.preset,
            "solver": solver,
            "device": str(self.device),
            "versions": {"torch": torch.__version__, **manager().versions},
        }


def build_problem(
    observed: Tensor | str | Path,
    generator: str | Generator,
    forward: ForwardSpec = "identity",
    losses: Sequence[str | Loss] | None = None,
    priors: Sequence[str | Prior] | None = None,
    preset: str | None = None,
    device: str | torch.device = "cpu",
    default_preset: str = "brgm",
) -> Problem:
    """Build and check every component, and put them and the observation on ``device``."""
    loss_terms, prior_terms, tie_layers, preset = select_terms(preset, losses, priors, default_preset)
    target = resolve_device(device)
    gen = build_generator(generator).to(target)
    fwd = chain(build_forward(forward)).to(target)
    built_losses = [build_loss(t).to(target) for t in loss_terms]
    built_priors = [build_prior(t).to(target) for t in prior_terms]
    observation = as_batch(observed, gen.channels)
    check_observation(observation, gen, fwd)
    return Problem(gen, fwd, built_losses, built_priors, observation.to(target), preset, tie_layers, target)


@dataclass(kw_only=True)
class RunResult:
    """What every solver run returns. Images are ``[B, C, H, W]`` in [-1, 1] on the CPU.

    ``image`` is the reconstruction (for VI the posterior mean), ``prediction`` = f(image).
    """

    image: Tensor
    observation: Tensor
    prediction: Tensor
    history: dict[str, list[float]]
    config: dict[str, Any]
    mask: Tensor | None = None
    ground_truth: Tensor | None = None
    metrics: dict[str, list[float]] = field(default_factory=dict)
    interrupted: bool = False
    seconds: float = 0.0

    def score(self, ground_truth: Tensor | None) -> None:
        """Keep the clean images and compute PSNR/SSIM/RMSE/LPIPS against them (no-op without them)."""
        if ground_truth is not None:
            self.ground_truth = ground_truth.cpu()
            self.metrics = all_metrics(self.image, self.ground_truth)


@dataclass(kw_only=True)
class Reconstruction(RunResult):
    """What :func:`reconstruct` returns: also the best ``latent [B, L, D]`` and its ``objective [B]``."""

    latent: Tensor
    objective: Tensor


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
) -> Reconstruction:
    """MAP reconstruction of ``observed`` (``[C, H, W]``, ``[B, C, H, W]`` or an image path).

    ``forward`` is a spec, a forward model or a list of them (applied in order). Terms come
    from ``preset`` and/or ``losses``/``priors`` (see :func:`select_terms`). With
    ``ground_truth`` (clean images ``[B, C, H, W]``) the result carries PSNR/SSIM/RMSE/LPIPS.
    ``precision="bf16"`` runs the networks in bfloat16 while optimising (see :mod:`invgen.precision`).
    """
    problem = build_problem(observed, generator, forward, losses, priors, preset, device)
    settings = MAPSettings(steps=steps, lr=lr, schedule=schedule, seed=seed, tie_layers=problem.tie_layers,
                           precision=precision)
    objective = problem.objective()
    started = time.perf_counter()
    result = solve_map(objective, settings, init=None if init is None else init.to(problem.device), callback=callback)
    reconstruction = Reconstruction(
        image=result.image.cpu(), observation=problem.observation.cpu(), prediction=result.prediction.cpu(),
        latent=result.latent.cpu(), objective=result.objective.cpu(), history=result.history,
        config=problem.config({"method": "map", **settings.__dict__}),
        mask=None if objective.mask is None else objective.mask.cpu(), interrupted=result.interrupted,
        seconds=time.perf_counter() - started,
    )
    reconstruction.score(ground_truth)
    return reconstruction


@dataclass(kw_only=True)
class Posterior(RunResult):
    """What :func:`sample_posterior` returns: samples of G(w) under q, their mean (``image``) and std.

    ``samples`` ``[B, N, C, H, W]`` and ``sample_predictions`` (f of each, ``[B, N, ...]``); ``std``
    ``[B, C, H, W]``; ``latent_mean``/``latent_std`` the fitted q; ``map_image`` the warm-start MAP
    estimate (if any); ``history`` the ELBO per step. :mod:`invgen.posterior_stats` summarises them.
    """

    samples: Tensor
    sample_predictions: Tensor
    std: Tensor
    latent_mean: Tensor
    latent_std: Tensor
    map_image: Tensor | None = None
    map_prediction: Tensor | None = None


def sample_posterior(
    observed: Tensor | str | Path,
    generator: str | Generator,
    forward: ForwardSpec = "identity",
    losses: Sequence[str | Loss] | None = None,
    priors: Sequence[str | Prior] | None = None,
    preset: str | None = None,
    samples: int = 8,
    settings: VISettings = VISettings(),
    device: str | torch.device = "cpu",
    ground_truth: Tensor | None = None,
    callback: Callable[[Progress], None] | None = None,
) -> Posterior:
    """Variational posterior over w for ``observed``: ``samples`` reconstructions, mean and std maps.

    Without terms or a preset the ``bayes`` preset is used: a Gaussian pixel likelihood and a
    Gaussian prior, so that the ELBO's balance of fit and spread means something.
    """
    problem = build_problem(observed, generator, forward, losses, priors, preset, device, default_preset="bayes")
    objective = problem.objective()
    started = time.perf_counter()
    result = solve_vi(objective, settings, num_samples=samples, callback=callback)
    with torch.no_grad():
        prediction = problem.forward(result.image_mean)
        sample_predictions = torch.stack([problem.forward(result.samples[:, i]) for i in range(samples)], 1)
    posterior = Posterior(
        samples=result.samples.cpu(), sample_predictions=sample_predictions.cpu(), image=result.image_mean.cpu(),
        std=result.image_std.cpu(),
        observation=problem.observation.cpu(), prediction=prediction.cpu(), latent_mean=result.mean.cpu(),
        latent_std=result.std.cpu(), history=result.history,
        config=problem.config({"method": "vi", "samples": samples, **settings.__dict__}),
        map_image=None if result.map is None else result.map.image.cpu(),
        map_prediction=None if result.map is None else result.map.prediction.cpu(),
        mask=None if objective.mask is None else objective.mask.cpu(), interrupted=result.interrupted,
        seconds=time.perf_counter() - started,
    )
    posterior.score(ground_truth)
    return posterior
