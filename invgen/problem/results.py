"""What a solve returns: the reconstruction (MAP) or the posterior (VI), on the CPU, with its record."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from torch import Tensor


@dataclass(kw_only=True)
class RunResult:
    """What every solve returns. Images are ``[B, C, H, W]`` in [-1, 1] on the CPU.

    ``image`` is the reconstruction (for VI the posterior mean), ``prediction`` = f(image) (after a
    consistency post-step, ``raw_image`` keeps the generator's own output);
    ``metrics`` (PSNR/SSIM/RMSE and registered metrics such as LPIPS) are filled when the clean
    images are known (``ground_truth``).
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
    raw_image: Tensor | None = None  # G(w) before a --consistency post-step made ``image`` agree with y


@dataclass(kw_only=True)
class Reconstruction(RunResult):
    """A MAP solve: also the best ``latent [B, L, D]`` and its ``objective [B]``. With several starts,
    ``modes [B, K, C, H, W]`` are the K solutions ranked by ``mode_objectives [B, K]`` (best first, the
    first being ``image``), ``mode_predictions`` their f(mode), ``mode_latents [B, K, L, D]`` their latents and
    ``mode_probabilities [B, K]`` each mode's probability (:mod:`invgen.solvers.mode_weights`)."""

    latent: Tensor
    objective: Tensor
    modes: Tensor | None = None
    mode_objectives: Tensor | None = None
    mode_predictions: Tensor | None = None
    mode_latents: Tensor | None = None
    mode_probabilities: Tensor | None = None


@dataclass(kw_only=True)
class Posterior(RunResult):
    """A VI solve: samples of G(w) under q, their mean (``image``) and std.

    ``samples`` ``[B, N, C, H, W]``, ``sample_predictions`` (f of each, ``[B, N, ...]``) and ``sample_latents``
    (the latents they were rendered from, ``[B, N, L, D]``); ``std``
    ``[B, C, H, W]``; ``latent_mean``/``latent_std`` the fitted q; ``map_image`` the warm-start MAP
    estimate (if any); ``history`` the ELBO per step. :mod:`invgen.render.posterior_stats` summarises them.
    A mixture over K starts (``VISettings.starts``) also has the component ``weights [B, K]`` and their
    ``component_elbo``, ``component_images [B, K, C, H, W]`` (G at each component's mean) and ``component_of
    [B, N]`` (which component drew each sample); the q and warm start reported are then the heaviest component's.
    """

    samples: Tensor
    sample_predictions: Tensor
    std: Tensor
    latent_mean: Tensor
    latent_std: Tensor
    map_image: Tensor | None = None
    map_prediction: Tensor | None = None
    weights: Tensor | None = None
    component_of: Tensor | None = None
    component_elbo: Tensor | None = None
    component_images: Tensor | None = None
    chain_diagnostics: dict[str, Tensor] | None = None  # MCMC: per observation [B] rhat, ess, acceptance ...
    sample_latents: Tensor | None = None

    @property
    def latent(self) -> Tensor:
        """q's mean ``[B, L, D]``: the latent a posterior result is kept and warm-started by."""
        return self.latent_mean


def pick(result: RunResult, index: int) -> RunResult:
    """Observation ``index`` of a batched result as a result of its own: every per-observation tensor and
    metric sliced to it; the history (batch means), the config and shared masks are the batch's."""
    batch = result.image.shape[0]
    changes: dict[str, Any] = {"metrics": {name: [values[index]] for name, values in result.metrics.items()}}
    for item in fields(result):
        value = getattr(result, item.name)
        if isinstance(value, Tensor) and value.dim() and value.shape[0] == batch:
            changes[item.name] = value[index:index + 1]
        elif isinstance(value, dict) and value and all(isinstance(v, Tensor) for v in value.values()):
            changes[item.name] = {name: v[index:index + 1] for name, v in value.items()}
    return replace(result, **changes)
