"""Runs methods on tasks over a set of clean images, batched, and collects per-image metrics."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import torch
from torch import Tensor

from invgen.evaluation import baselines
from invgen.evaluation.calibration import coverage_scores
from invgen.problem.observation import build_chain
from invgen.evaluation.methods import generator_values
from invgen.problem.metrics import MetricFunction, all_metrics
from invgen.registry.manager import registry
from invgen.problem.build import build_setup
from invgen.registry.records import Method, Task
from invgen.registry.table import instantiate
from invgen.problem.results import Posterior
from invgen.solvers.solving import solve
from invgen.solvers.map import MAPSettings
from invgen.solvers.vi import VISettings


@dataclass
class MethodOutcome:
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
    """Solver settings shared by every generator method: ``starts`` > 1 solves from that many starts per image
    (MAP: the best-ranked mode is scored; VI: a mixture), ``consistency`` post-steps every reconstruction."""

    steps: int = 200
    lr: float = 0.05
    batch: int = 100
    seed: int = 0
    vi_steps: int = 100
    precision: str = "fp32"
    starts: int = 1
    consistency: str = "none"

    def settings(self, chosen: Method) -> MAPSettings | VISettings:
        """The solver settings of ``chosen`` under this budget."""
        if chosen.vi:
            return VISettings(steps=self.vi_steps, map_steps=self.steps, map_lr=self.lr, seed=self.seed,
                              precision=self.precision, starts=self.starts)
        return MAPSettings(steps=self.steps, lr=self.lr, seed=self.seed, tie_layers=chosen.tie_layers,
                           precision=self.precision, starts=self.starts)

    def identity(self) -> dict[str, Any]:
        """What of the budget decides the numbers: every field, but ``starts`` and ``consistency`` only when
        they are not the defaults, so results saved before these existed are still found (``--resume``)."""
        later = {"starts": 1, "consistency": "none"}
        return {key: value for key, value in self.__dict__.items() if later.get(key, object()) != value}


def method_generator(spec: str, chosen: Method):  # noqa: ANN201 - a Generator
    """Build the generator with the method's parameter overrides (e.g. noise inputs) applied."""
    info, _ = registry().parse("generator", spec)
    return instantiate(info, generator_values(spec, chosen)).eval().requires_grad_(False)


def observations(task: Task, clean: Tensor, seed: int) -> tuple[Tensor, dict[int, list[int]]]:
    """Corrupt every image with its task chain; return the observations and the indices of each mask group."""
    groups: dict[int, list[int]] = {}
    for index in range(len(clean)):
        groups.setdefault(task.group_of(index), []).append(index)
    parts = {}
    for group, indices in groups.items():
        model = build_chain(task.chain_for(indices[0]))
        parts[group] = model.simulate(clean[indices], seed=seed + group)
    first = parts[next(iter(parts))]
    observed = torch.empty(len(clean), *first.shape[1:])
    for group, indices in groups.items():
        observed[indices] = parts[group]
    return observed, groups


def run_generator_method(generator_spec: str, chosen: Method, task: Task, clean: Tensor, observed: Tensor,
                         groups: dict[int, list[int]], budget: Budget, metrics: Mapping[str, MetricFunction],
                         on_batch: Callable[[int], None], device: str | torch.device = "cpu") -> MethodOutcome:
    """Every image reconstructed by ``chosen`` (in batches of ``budget.batch`` that share a mask), then scored;
    a posterior method is also scored by the coverage of its std map (:func:`~invgen.evaluation.calibration.coverage_scores`)."""
    setup = build_setup(method_generator(generator_spec, chosen), chosen.losses, chosen.priors, chosen.preset,
                        device)
    settings = budget.settings(chosen)
    reconstructions = torch.empty_like(clean)
    covered: dict[str, list[float]] = {}
    started = time.perf_counter()
    for indices in groups.values():
        model = build_chain(task.chain_for(indices[0]))  # one chain per mask group, built once
        for start in range(0, len(indices), budget.batch):
            chunk = indices[start:start + budget.batch]
            result = solve(setup.pose(observed[chunk], model), settings, consistency=budget.consistency)
            if result.interrupted:  # a truncated solve is no result: stop before it is saved as a finished part
                raise KeyboardInterrupt
            reconstructions[chunk] = result.image.clamp(-1, 1)
            if isinstance(result, Posterior):
                for name, values in coverage_scores(result.image, result.std, clean[chunk], result.mask).items():
                    covered.setdefault(name, [math.nan] * len(clean))
                    for index, value in zip(chunk, values):
                        covered[name][index] = value
            on_batch(len(chunk))
    seconds = (time.perf_counter() - started) / len(clean)
    outcome = _outcome(task, chosen.name, reconstructions, clean, seconds, metrics)
    outcome.metrics.update(covered)
    return outcome


def baseline_applies(name: str, task: Task, shape: tuple[int, ...]) -> bool:
    return baselines.applies(name, build_chain(task.chain_for(0)), shape)


def run_baseline(name: str, task: Task, clean: Tensor, observed: Tensor, groups: dict[int, list[int]],
                 metrics: Mapping[str, MetricFunction], on_batch: Callable[[int], None]) -> MethodOutcome:
    """Every image restored by the classical baseline ``name`` (which must apply to the task), then scored."""
    shape = tuple(clean.shape[1:])
    reconstructions = torch.empty_like(clean)
    started = time.perf_counter()
    for indices in groups.values():
        model = build_chain(task.chain_for(indices[0]))
        reconstructions[indices] = baselines.restore(name, observed[indices], model, shape)
        on_batch(len(indices))
    return _outcome(task, name, reconstructions, clean, (time.perf_counter() - started) / len(clean), metrics)


def _outcome(task: Task, name: str, reconstructions: Tensor, clean: Tensor, seconds: float,
             metrics: Mapping[str, MetricFunction]) -> MethodOutcome:
    scores = all_metrics(reconstructions, clean, metrics)
    shown = example_indices(len(clean))
    return MethodOutcome(task.name, name, scores, seconds, len(clean), reconstructions[shown].clone(), shown,
                   torch.get_num_threads())
