"""``invgen eval``: several methods on several tasks over a set of images, with tables and figures."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any, List, Optional

import typer

from invgen.cli.checks import learning_rate

from invgen.runtime.reporting import reported_errors, stderr


def evaluate(
    generator: str = typer.Option(..., "--generator", "-g", help="Generator spec."),
    data: str = typer.Option(..., "--data", help="A folder of clean images, or a registered dataset name."),
    task: List[str] = typer.Option([], "--task", "-t", help="A registered task (sr4, sr8, inpaint-center, "
                                                            "inpaint-large, deblur ...) or specs joined by '|'; "
                                                            "repeatable (default: the first registered task)."),
    method: List[str] = typer.Option([], "--method", "-m", help="A registered method (brgm, brgm-vi, pulse, pixel, "
                                                               "plain ...) or baseline (bicubic, biharmonic, "
                                                               "richardson-lucy, wiener); repeatable."),
    ablation: bool = typer.Option(False, "--ablation", help="Run an ablation ladder's cumulative variants instead."),
    ladder: Optional[str] = typer.Option(None, "--ladder", help="Which registered ablation ladder (default: the "
                                                               "only one)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                        help="Use N images spread evenly over the set (every k-th)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for tables and figures."),
    steps: int = typer.Option(200, "--steps", min=1, help="MAP steps (and VI warm-start steps)."),
    lr: float = typer.Option(0.05, "--lr", callback=learning_rate, help="Adam learning rate."),
    batch: int = typer.Option(100, "--batch", min=1, help="Images optimised together."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated noise and the solvers."),
    starts: int = typer.Option(1, "--starts", min=1, max=64, help="Generator methods solve from K starts per image "
                                                                  "(MAP: the best-ranked mode is scored; VI: a "
                                                                  "mixture of K components)."),
    consistency: str = typer.Option("none", "--consistency", help="Post-step of every generator method's "
                                                                 "reconstruction: paste (masks), project (e.g. "
                                                                 "area down-sampling) or none."),
    precision: str = typer.Option("fp32", "--precision",
                                  help="fp32, or bf16 (networks in bfloat16 while optimising: faster on AMX CPUs)."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N: where the "
                                                         "generator methods run."),
    tf32: bool = typer.Option(False, "--tf32", help="Allow TF32 matrix units on CUDA (faster, not exact fp32)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace results already in --output."),
    resume: bool = typer.Option(False, "--resume", help="Reuse the (task, method) results an earlier run of the "
                                                        "same experiment left in --output (each is saved when done)."),
) -> None:
    """Compare reconstruction methods on corrupted copies of clean images (mean ± standard error)."""
    with reported_errors():
        from rich.console import Console

        from invgen.io.atomic import write_files
        from invgen.solvers.consistency import check_mode
        from invgen.evaluation.changes import changes_table
        from invgen.evaluation.experiment import Experiment, check_output, claim_output, run_experiment
        from invgen.evaluation.methods import ablation as lookup_ablation
        from invgen.evaluation.methods import method as lookup_method
        from invgen.evaluation.report import results_table
        from invgen.evaluation.trials import Budget
        from invgen.evaluation.tasks import first_task
        from invgen.evaluation.tasks import task as lookup_task
        from invgen.registry.manager import registry
        from invgen.runtime.device import resolve_device

        check_mode(consistency)
        check_output(output, overwrite, resume)
        baselines = [name for name in method if name in registry().baselines] if not ablation else []
        chosen = (lookup_ablation(ladder).steps if ablation else
                  tuple(lookup_method(name) for name in method if name not in registry().baselines))
        tasks = tuple(lookup_task(name) for name in task) or (first_task(),)
        experiment = Experiment(generator, data, tasks, tuple(chosen),
                                tuple(baselines), Budget(steps=steps, lr=lr, batch=batch, seed=seed,
                                                         precision=precision, starts=starts,
                                                         consistency=consistency), limit, ablation)
        command = "invgen eval " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else ""
        target = resolve_device(device, tf32)
        lock = claim_output(output)  # after every cheap check: a refused evaluation leaves no folder
        try:
            with _Bar() as bar:
                results = run_experiment(experiment, output, command, resume, bar, target)
            write_files(output, results.files)
        finally:
            lock.release()
        Console().print(results_table(results.rows, results.columns))
        if results.changes is not None:
            Console().print(changes_table(results.changes, results.columns))
        Console().print(f"tables and figures in {output}/")


class _Bar:
    """The experiment's progress as a rich bar on stderr."""

    def __enter__(self) -> "_Bar":
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=stderr, transient=True)
        self.progress.start()
        self.bar = self.progress.add_task("evaluating", total=None)
        return self

    def start(self, total: int) -> None:
        self.progress.update(self.bar, total=total)

    def describe(self, text: str) -> None:
        self.progress.update(self.bar, description=text)

    def advance(self, count: int) -> None:
        self.progress.advance(self.bar, count)

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()
