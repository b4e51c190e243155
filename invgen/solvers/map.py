"""MAP estimation: minimise the objective over the latent w with Adam.

The loop is written out so that it can be read in one go: schedule, forward, per-term
bookkeeping, a finiteness check, best-so-far tracking per observation, a callback for
progress displays, and Ctrl-C returning the best result found so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import Tensor

from invgen.problem.objective import Objective
from invgen.errors import NonFiniteObjective
from invgen.runtime.precision import check_precision
from invgen.problem.arguments import choice, flag, real_number, whole_number

MAX_STARTS = 64


@dataclass(frozen=True)
class MAPSettings:
    """How to optimise: Adam with learning rate ``lr`` for ``steps`` steps.

    ``schedule`` is ``constant`` or ``cosine`` (decay to 0), after ``warmup`` linear warm-up
    steps. ``tie_layers`` optimises one w shared by all layers (the W space instead of W+).
    ``init_noise`` adds seeded Gaussian noise (in units of the latent std) to the start.
    ``precision`` ``bf16`` evaluates the networks in bfloat16 during the steps (several times
    faster on CPUs with AMX); the returned images and objective values are evaluated in float32.
    ``starts`` > 1 optimises that many diverse starts per observation and ranks them
    (:func:`invgen.solve`; :mod:`invgen.solvers.starts`).
    """

    steps: int = 200
    lr: float = 0.05
    schedule: str = "cosine"
    warmup: int = 0
    seed: int = 0
    tie_layers: bool = False
    init_noise: float = 0.0
    precision: str = "fp32"
    starts: int = 1

    def __post_init__(self) -> None:
        whole_number("steps", self.steps, 1)
        real_number("lr", self.lr, positive=True)
        choice("schedule", self.schedule, ("constant", "cosine"))
        whole_number("warmup", self.warmup, 0)
        whole_number("seed", self.seed, 0)
        flag("tie_layers", self.tie_layers)
        real_number("init_noise", self.init_noise, minimum=0.0)
        check_precision(self.precision)
        whole_number("starts", self.starts, 1, MAX_STARTS)

    def lr_at(self, step: int) -> float:
        """The learning rate of step ``step`` (0-based)."""
        scale = min(1.0, (step + 1) / self.warmup) if self.warmup else 1.0
        if self.schedule == "cosine":
            scale *= 0.5 * (1.0 + math.cos(math.pi * step / self.steps))
        return self.lr * scale


@dataclass(frozen=True)
class Progress:
    """What a callback sees after each step: batch means of the total and of each weighted term, and the
    current latents ``[B, L, D]`` (for VI the posterior means; detached, not to be changed)."""

    step: int
    steps: int
    total: float
    terms: dict[str, float]
    lr: float
    latent: Tensor | None = None


@dataclass
class MAPResult:
    """The best latent per observation and how the optimisation went.

    ``latent [B, L, D]``, ``image [B, C, H, W]`` = G(latent), ``prediction`` = f(image),
    ``objective [B]`` the best totals, ``history`` per-step batch means (``total`` and each term).
    """

    latent: Tensor
    image: Tensor
    prediction: Tensor
    objective: Tensor
    best_step: Tensor
    history: dict[str, list[float]] = field(default_factory=dict)
    steps_run: int = 0
    interrupted: bool = False


def solve_map(
    objective: Objective,
    settings: MAPSettings = MAPSettings(),
    init: Tensor | None = None,
    callback: Callable[[Progress], None] | None = None,
) -> MAPResult:
    """Minimise ``objective`` over w, from ``init [B, L, D]`` or the generator's mean latent."""
    generator = objective.generator
    batch = objective.observation.shape[0]
    reference = objective.observation
    start = (init if init is not None else generator.initial_latent(batch)).detach().to(reference)
    if settings.init_noise:
        rng = torch.Generator().manual_seed(settings.seed)
        jitter = torch.randn(start.shape, generator=rng, dtype=start.dtype) * generator.latent_stats().std.cpu()
        start = start + settings.init_noise * jitter.to(start)
    variable = (start[:, :1] if settings.tie_layers else start).clone().requires_grad_(True)
    optimizer = torch.optim.Adam([variable], lr=settings.lr)

    def latent() -> Tensor:
        return variable.expand_as(start) if settings.tie_layers else variable

    best_w = start.clone()
    best_total = torch.full((batch,), math.inf, dtype=start.dtype, device=start.device)
    best_step = torch.zeros(batch, dtype=torch.long)
    history: dict[str, list[float]] = {"total": []}
    interrupted, step = False, 0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        try:
            for step in range(settings.steps):
                lr = settings.lr_at(step)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                evaluation = objective.evaluate(latent(), settings.precision)
                check_finite(evaluation.terms, step)
                with torch.no_grad():
                    improved = evaluation.total < best_total
                    best_total = torch.where(improved, evaluation.total, best_total)
                    best_w[improved] = latent()[improved]
                    best_step[improved.cpu()] = step
                _record(history, evaluation.terms, evaluation.total)
                optimizer.zero_grad(set_to_none=True)
                evaluation.total.sum().backward()
                optimizer.step()
                if callback is not None:
                    callback(Progress(step + 1, settings.steps, history["total"][-1],
                                      {k: v[-1] for k, v in history.items() if k != "total"}, lr,
                                      latent().detach()))
        except KeyboardInterrupt:
            interrupted = True
    steps_run = len(history["total"])
    if steps_run == 0:
        raise KeyboardInterrupt
    with torch.no_grad():
        final = objective.evaluate(best_w)
    return MAPResult(best_w, final.image, final.prediction, final.total, best_step,
                     history, steps_run, interrupted)


def check_finite(terms: dict[str, Tensor], step: int) -> None:
    """A one-line error naming the first term that is NaN or infinite. At the very first evaluation no step
    has been taken, so the learning rate cannot be the cause: the message points at the inputs instead."""
    for name, value in terms.items():
        flat = value.detach().flatten()
        bad = flat[~torch.isfinite(flat)]
        if bad.numel() == 0:
            continue
        if step == 0:
            raise NonFiniteObjective(
                f"objective term {name!r} is {bad[0].item()} at the start, before any step: check this term's "
                "parameters (a sigma too small for floating point?) and that the observation and the generator's "
                "weights are finite")
        raise NonFiniteObjective(f"objective term {name!r} became {bad[0].item()} at step {step + 1}; lower the "
                                 "learning rate (--lr) or this term's weight")


def _record(history: dict[str, list[float]], terms: dict[str, Tensor], total: Tensor) -> None:
    history["total"].append(total.detach().mean().item())
    for name, value in terms.items():
        history.setdefault(name, []).append(value.detach().mean().item())


def warm_started(objective: Objective, settings: Any, init: Tensor | None) -> tuple[MAPResult | None, Tensor]:
    """A sampler's start (VI's q, MCMC's chains): MAP from ``init`` (else the mean latent) run for the settings'
    ``map_steps`` at ``map_lr`` when ``settings.warm_start``, else ``init`` itself; with the MAP result, if any."""
    if settings.warm_start:
        warm = solve_map(objective, MAPSettings(steps=settings.map_steps, lr=settings.map_lr, seed=settings.seed,
                                               precision=settings.precision), init=init)
        return warm, warm.latent
    rows = objective.observation.shape[0]
    return None, (init if init is not None else objective.generator.initial_latent(rows)).to(objective.observation)
