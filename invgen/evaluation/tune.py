"""``invgen tune``: choose the weights of an objective's terms for a generator on a training split.

Coordinate search: the first data term keeps its weight (Adam barely notices a common scale, so only
ratios matter); every other term in turn is scaled by each of :data:`FACTORS` (0 drops it) with the others
held, and the best factor kept; ``sweeps`` rounds of that. A setting's score is the mean, over the tasks, of
the mean metric (PSNR by default) of MAP reconstructions of the same training images. Every setting is
evaluated once (cached), so the cost is at most 1 + sweeps * (terms - 1) * (len(FACTORS) - 1) settings,
each one MAP solve per task over the images. The result is a preset file for ``--preset FILE.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from invgen.problem.components import build_metrics, metric_columns
from invgen.errors import UsageError
from invgen.evaluation.experiment import evenly_spaced, load_images
from invgen.evaluation.trials import Budget, method_generator, observations
from invgen.problem.metrics import all_metrics
from invgen.registry.manager import registry
from invgen.problem.build import build_setup
from invgen.problem.terms import select_terms
from invgen.registry.records import Method, Task
from invgen.solvers.map import MAPSettings
from invgen.solvers.solving import solve
from invgen.registry.spec import format_spec, parse_spec, quote_value

FACTORS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0)
MIN_GAIN = 1e-4  # in the metric's units: what counts as better


@dataclass
class Tuning:
    """The base terms, the chosen factor of each, and every evaluated setting's score (per task and mean)."""

    base: list[str]
    factors: list[float]
    scores: dict[tuple[float, ...], dict[str, float]] = field(default_factory=dict)
    metric: str = "psnr"
    images: int = 0

    @property
    def terms(self) -> list[str]:
        return [scaled(spec, factor) for spec, factor in zip(self.base, self.factors) if factor > 0]

    def score(self, factors: Sequence[float]) -> float:
        return self.scores[tuple(factors)]["mean"]


def scaled(spec: str, factor: float) -> str:
    """``spec`` with its weight multiplied by ``factor`` (its registered default weight when it names none)."""
    parsed = parse_spec(spec)
    kind = "loss" if parsed.name in registry().components["loss"] else "prior"
    _, values = registry().parse(kind, spec)
    weight = float(values.get("weight", 1.0)) * factor
    raw = {key: quote_value(str(value)) for key, value in parsed.values.items() if key != "weight"}
    return format_spec(parsed.name, {**raw, "weight": f"{weight:.6g}"})


def split_terms(specs: Sequence[str]) -> tuple[list[str], list[str]]:
    """Loss specs and prior specs, in their order."""
    losses = [spec for spec in specs if parse_spec(spec).name in registry().components["loss"]]
    return losses, [spec for spec in specs if spec not in losses]


def tune(generator: str, tasks: Sequence[Task], data: str, base_preset: str, budget: Budget,
         limit: int | None = 50, metric: str = "psnr", sweeps: int = 1, device: str | torch.device = "cpu",
         on_setting: Callable[[list[str], dict[str, float]], None] = lambda terms, score: None) -> Tuning:
    """Search the term weights of ``base_preset`` on ``data`` for ``tasks`` (see the module's docstring)."""
    terms = select_terms(base_preset)
    if terms.tie_layers:
        raise UsageError(f"preset {base_preset!r} shares one w over layers; tune a W+ preset")
    base = [*map(str, terms.losses), *map(str, terms.priors)]
    if len(base) < 2:
        raise UsageError(f"preset {base_preset!r} has one term: there is no weight to tune against it")
    model = method_generator(generator, Method.of("tune", preset=base_preset))
    clean = evenly_spaced(load_images(data, model.image_shape), limit)
    metrics = build_metrics()
    columns = {column.key: column for column in metric_columns()}
    if metric not in columns:
        raise UsageError(f"unknown --metric {metric!r} (choose {', '.join(columns)})")
    cases = [(task, *observations(task, clean, budget.seed)) for task in tasks]
    tuning = Tuning(base, [1.0] * len(base), metric=metric, images=len(clean))
    sign = 1.0 if columns[metric].higher_is_better else -1.0

    def evaluate(factors: list[float]) -> float:
        key = tuple(factors)
        if key not in tuning.scores:
            chosen = [scaled(spec, f) for spec, f in zip(base, factors) if f > 0]
            setup = build_setup(model, *split_terms(chosen), None, device)
            per_task = {task.name: _mean_metric(setup, task, clean, observed, groups, budget, metric, metrics)
                        for task, observed, groups in cases}
            tuning.scores[key] = {**per_task, "mean": sum(per_task.values()) / len(per_task)}
            on_setting(chosen, tuning.scores[key])
        return sign * tuning.scores[key]["mean"]

    best = evaluate(tuning.factors)
    for _ in range(sweeps):
        for index in range(1, len(base)):
            for factor in FACTORS:
                trial = [*tuning.factors[:index], factor, *tuning.factors[index + 1:]]
                value = evaluate(trial)
                if value > best + MIN_GAIN:  # ties and noise-level gains keep the earlier (base) weight
                    best, tuning.factors = value, trial
    return tuning


def _mean_metric(setup, task: Task, clean: torch.Tensor, observed: torch.Tensor,  # noqa: ANN001 - a Setup
                 groups: dict[int, list[int]], budget: Budget, metric: str, metrics: dict) -> float:
    settings = MAPSettings(steps=budget.steps, lr=budget.lr, seed=budget.seed, precision=budget.precision)
    values: list[float] = []
    for indices in groups.values():
        for start in range(0, len(indices), budget.batch):
            chunk = indices[start:start + budget.batch]
            result = solve(setup.pose(observed[chunk], task.chain_for(chunk[0])), settings)
            if result.interrupted:
                raise KeyboardInterrupt
            values += all_metrics(result.image.clamp(-1, 1), clean[chunk], metrics)[metric]
    return sum(values) / len(values)
