"""Runs methods on tasks over a set of clean images, batched, and collects per-image metrics."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import Tensor

from invgen.api import build_forward, build_problem
from invgen.evaluation.baselines import BASELINES
from invgen.evaluation.methods import GeneratorMethod
from invgen.evaluation.tasks import Task
from invgen.forward import chain
from invgen.metrics import all_metrics
from invgen.plugins import registry
from invgen.registry import instantiate
from invgen.solvers.map import MAPSettings, solve_map
from invgen.solvers.vi import VISettings, solve_vi


@dataclass
class Outcome:
    """One method on one task: metrics per image, seconds per image (on ``threads`` CPU threads; 0: not
    recorded), and a few reconstructions (``examples``, of the images at ``example_indices``) for the figure."""

    task: str
    method: str
    metrics: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    count: int = 0
    examples: Tensor | None = None
    example_indices: list[int] = field(default_factory=list)
    threads: int = 0


EXAMPLES = 8


def example_indices(count: int) -> list[int]:
    """Up to ``EXAMPLES`` evenly spaced image indices: class-sorted sets show every class, not the first one."""
    return torch.linspace(0, count - 1, min(EXAMPLES, count)).round().long().tolist()


@dataclass(frozen=True)
class Budget:
    """Solver settings shared by every generator method."""

    steps: int = 200
    lr: float = 0.05
    batch: int = 100
    seed: int = 0
    vi_steps: int = 100
    precision: str = "fp32"


def generator_with_noise(spec: str, noise: str | None):  # noqa: ANN201 - a Generator
    """Build the generator, overriding its ``noise`` parameter when the method asks for one."""
    info, values = registry().parse("generator", spec)
    if noise is not None and "noise" in values:
        values = {**values, "noise": noise}
    return instantiate(info, values).eval().requires_grad_(False)


def observations(task: Task, clean: Tensor, seed: int) -> tuple[Tensor, dict[int, list[int]]]:
    """Corrupt every image with its task chain; return the observations and the indices of each mask group."""
    groups: dict[int, list[int]] = {}
    for index in range(len(clean)):
        groups.setdefault(task.group_of(index), []).append(index)
    parts = {}
    for group, indices in groups.items():
        model = chain(build_forward(task.chain_for(indices[0])))
        parts[group] = model.simulate(clean[indices], seed=seed + group)
    first = parts[next(iter(parts))]
    observed = torch.empty(len(clean), *first.shape[1:])
    for group, indices in groups.items():
        observed[indices] = parts[group]
    return observed, groups


def run_generator_method(generator_spec: str, method: GeneratorMethod, task: Task, clean: Tensor,
                         observed: Tensor, groups: dict[int, list[int]], budget: Budget,
                         on_batch: Callable[[int], None]) -> Outcome:
    generator = generator_with_noise(generator_spec, method.noise)
    reconstructions = torch.empty_like(clean)
    started = time.perf_counter()
    for group, indices in groups.items():
        for start in range(0, len(indices), budget.batch):
            chunk = indices[start:start + budget.batch]
            problem = build_problem(observed[chunk], generator, task.chain_for(chunk[0]), list(method.losses),
                                    list(method.priors), method.preset)
            objective = problem.objective()
            if method.vi:
                settings = VISettings(steps=budget.vi_steps, map_steps=budget.steps, map_lr=budget.lr, seed=budget.seed,
                                      precision=budget.precision)
                images = solve_vi(objective, settings, num_samples=8).image_mean
            else:
                tie = method.tie_layers or problem.tie_layers
                settings = MAPSettings(steps=budget.steps, lr=budget.lr, seed=budget.seed, tie_layers=tie,
                                       precision=budget.precision)
                images = solve_map(objective, settings).image
            reconstructions[chunk] = images.detach().clamp(-1, 1)
            on_batch(len(chunk))
    seconds = (time.perf_counter() - started) / len(clean)
    return _outcome(task, method.name, reconstructions, clean, seconds)


def run_baseline(name: str, task: Task, clean: Tensor, observed: Tensor, groups: dict[int, list[int]],
                 on_batch: Callable[[int], None]) -> Outcome | None:
    restore, applies = BASELINES[name]
    shape = tuple(clean.shape[1:])
    if not applies(chain(build_forward(task.chain_for(0))), shape):
        return None
    reconstructions = torch.empty_like(clean)
    started = time.perf_counter()
    for group, indices in groups.items():
        model = chain(build_forward(task.chain_for(indices[0])))
        reconstructions[indices] = restore(observed[indices], model, shape)
        on_batch(len(indices))
    return _outcome(task, name, reconstructions, clean, (time.perf_counter() - started) / len(clean))


def _outcome(task: Task, name: str, reconstructions: Tensor, clean: Tensor, seconds: float) -> Outcome:
    metrics = all_metrics(reconstructions, clean)
    shown = example_indices(len(clean))
    return Outcome(task.name, name, metrics, seconds, len(clean), reconstructions[shown].clone(), shown,
                   torch.get_num_threads())
