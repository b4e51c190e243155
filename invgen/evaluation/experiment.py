"""An evaluation from start to end: images, tasks, methods and baselines, saved parts, tables and figures.

``invgen eval`` is a thin shell around :func:`run_experiment`; Python users call it directly.
Each finished (task, method) is saved as a part under the output folder (:mod:`invgen.evaluation.parts`)
before the next one starts, so ``resume=True`` recomputes only what an earlier run did not finish.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import torch
from torch import Tensor

from invgen.problem.components import build_generator, build_metrics, metric_columns
from invgen.problem.observation import build_chain
from invgen.solvers.consistency import check_applies, check_mode
from invgen.errors import InputError, OutputError, OutputExists, UsageError
from invgen.evaluation import report
from invgen.evaluation.changes import changes_markdown
from invgen.evaluation.changes import paired_changes
from invgen.evaluation.methods import method_identity
from invgen.evaluation.parts import load_part, part_key, save_part
from invgen.evaluation.trials import (Budget, MethodOutcome, baseline_applies, observations, run_baseline, run_generator_method)
from invgen.io.folder_lock import FolderLock
from invgen.io.images import IMAGE_SUFFIXES, load_image
from invgen.problem.metrics import COVERAGE_COLUMNS, Column
from invgen.registry.manager import registry
from invgen.registry.records import Method, Task

RESULT_FILES = ("results.csv", "results.json", "results.md", "changes.md")


class ExperimentProgress:
    """What an experiment reports while it runs (the CLI draws a bar; the default does nothing)."""

    def start(self, total: int) -> None:
        """``total`` image reconstructions are to be done."""

    def describe(self, text: str) -> None:
        """Now working on ``text`` (task / method)."""

    def advance(self, count: int) -> None:
        """``count`` more reconstructions are done (or were found saved)."""


@dataclass(frozen=True)
class Experiment:
    """What to evaluate: a generator spec, clean images (a folder or a registered data set, ``limit`` of
    them spread over the set), tasks, generator methods and baselines, and the solver budget."""

    generator: str
    data: str
    tasks: tuple[Task, ...]
    methods: tuple[Method, ...] = ()
    baselines: tuple[str, ...] = ()
    budget: Budget = Budget()
    limit: int | None = None
    ablation: bool = False

    def __post_init__(self) -> None:
        check_mode(self.budget.consistency)
        if not self.methods and not self.baselines:
            known = ", ".join([*registry().methods, *registry().baselines]) or "none registered"
            raise UsageError(f"give at least one --method (choose from {known}) or --ablation")
        unknown = [name for name in self.baselines if name not in registry().baselines]
        if unknown:
            raise UsageError(f"unknown baseline {unknown[0]!r} (registered: {', '.join(registry().baselines)})")


@dataclass
class Results:
    """What an experiment produced: every outcome, the summary rows, the ablation's paired changes (if any),
    and the rendered files (tables, JSON, figures) by name."""

    outcomes: list[MethodOutcome]
    rows: list[dict[str, Any]]
    columns: tuple[Column, ...]
    changes: list[dict[str, Any]] | None
    files: dict[str, bytes] = field(default_factory=dict)


def check_output(output: Path, overwrite: bool, resume: bool) -> None:
    """Refuse, before any work, to replace an earlier evaluation's tables unless asked to."""
    clash = [name for name in RESULT_FILES if (output / name).exists()]
    if clash and not (overwrite or resume):
        raise OutputExists(f"{output}: already holds results ({clash[0]}); pass --resume, --overwrite or "
                           "choose another")


def claim_output(output: Path) -> FolderLock:
    """Lock ``output`` (created) against a second evaluation writing there, as ``invgen run`` locks its own; a
    folder made here is removed again if the evaluation stops before writing anything."""
    made = None if output.exists() else output
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{output}: cannot write results there ({error.strerror or error}); choose another "
                          "--output") from None
    return FolderLock.take(output / ".lock-eval", output, "invgen eval", made)


def run_experiment(experiment: Experiment, output: Path, command: str = "", resume: bool = False,
                   progress: ExperimentProgress | None = None, device: str | torch.device = "cpu") -> Results:
    """Run (or, with ``resume``, reuse from ``output``'s parts) every (task, method) and render the results.

    Parts are written to ``output`` as they finish; the tables and figures are returned, not written.
    The generator methods run on ``device``; corruption, baselines and metrics on the CPU. Saved parts
    do not record the device: a part computed on one device is reused on another.
    """
    progress = progress or ExperimentProgress()
    model = build_generator(experiment.generator)
    clean = evenly_spaced(load_images(experiment.data, model.image_shape), experiment.limit)
    metrics = build_metrics()
    store = _Parts(output, clean, resume, {"generator": experiment.generator, "data": experiment.data,
                                          "limit": experiment.limit, "budget": experiment.budget.identity()})
    outcomes: list[MethodOutcome] = []
    files: dict[str, bytes] = {}
    progress.start(len(experiment.tasks) * len(clean) * (len(experiment.methods) + len(experiment.baselines)))
    shape = tuple(clean.shape[1:])
    if experiment.methods:  # a post-step some task's chain does not allow: refuse before any task is run
        for task in experiment.tasks:
            check_applies(build_chain(task.chain_for(0)), shape, experiment.budget.consistency)
    for task in experiment.tasks:
        observed, groups = observations(task, clean, experiment.budget.seed)
        for name in experiment.baselines:
            progress.describe(f"{task.name} / {name}")
            if not baseline_applies(name, task, shape):
                progress.advance(len(clean))
                continue
            outcome = store.reuse_or_compute(task, name, name, len(clean), progress, lambda: run_baseline(
                name, task, clean, observed, groups, metrics, progress.advance))
            outcomes.append(outcome)
        for chosen in experiment.methods:
            progress.describe(f"{task.name} / {chosen.name}")
            outcome = store.reuse_or_compute(
                task, method_identity(experiment.generator, chosen), chosen.name, len(clean), progress,
                lambda: run_generator_method(experiment.generator, chosen, task, clean, observed, groups,
                                             experiment.budget, metrics, progress.advance, device))
            outcomes.append(outcome)
        files[f"figure_{task.name.replace('|', '_').replace(':', '-')}.png"] = report.figure_png(
            task.name, clean, observed, outcomes, command)
    columns = metric_columns() + tuple(column for column in COVERAGE_COLUMNS
                                       if any(column.key in outcome.metrics for outcome in outcomes))
    rows = report.summary_rows(outcomes, columns)
    changes = paired_changes(outcomes, columns) if experiment.ablation else None
    files["results.csv"] = report.csv_text(rows, columns).encode()
    files["results.md"] = report.results_markdown(rows, command, columns).encode()
    files["results.json"] = report.json_text(rows, outcomes, command, changes).encode()
    if changes is not None:
        files["changes.md"] = changes_markdown(changes, command, columns).encode()
    return Results(outcomes, rows, columns, changes, files)


class _Parts:
    """Saved (task, method) outcomes of one experiment, keyed by everything that decides their numbers."""

    def __init__(self, output: Path, clean: Tensor, resume: bool, experiment: dict[str, Any]) -> None:
        self.output, self.clean, self.resume, self.experiment = output, clean, resume, experiment

    def reuse_or_compute(self, task: Task, method_key: Any, name: str, count: int, progress: ExperimentProgress,
                         compute: Callable[[], MethodOutcome]) -> MethodOutcome:
        """The outcome saved under this (task, method) when resuming, shown under ``name``; else computed
        and saved."""
        key = part_key({**self.experiment, "task": [task.name, list(task.specs)], "method": method_key}, self.clean)
        saved = load_part(self.output, key) if self.resume else None
        if saved is not None:
            progress.advance(count)
            return replace(saved, method=name)
        outcome = compute()
        save_part(self.output, key, outcome)
        return outcome


def evenly_spaced(images: Tensor, limit: int | None) -> Tensor:
    """``limit`` images at evenly spaced positions (class-sorted sets stay balanced), or all of them."""
    if limit is None or limit >= len(images):
        return images
    return images[torch.linspace(0, len(images) - 1, limit).round().long()]


def load_images(data: str, shape: tuple[int, ...]) -> Tensor:
    """Clean images ``[N, C, H, W]`` from a registered data set or a folder of image files."""
    if data in registry().datasets:
        images = registry().datasets[data].load()
    else:
        folder = Path(data)
        if not folder.is_dir():
            known = ", ".join(sorted(registry().datasets)) or "none registered"
            raise InputError(f"{data}: not a folder of images nor a registered dataset (known: {known})")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES | {".npy"})
        if not files:
            raise InputError(f"{folder}: no images found")
        images = torch.cat([load_image(p, shape[0]) for p in files])
    if tuple(images.shape[1:]) != tuple(shape):
        raise InputError(f"{data}: images are {tuple(images.shape[1:])}, the generator makes {tuple(shape)}")
    return images
