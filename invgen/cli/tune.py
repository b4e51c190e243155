"""``invgen tune``: search an objective's term weights on a training split and write a preset file."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer

from invgen.cli.checks import learning_rate
from invgen.runtime.reporting import reported_errors


def tune(
    generator: str = typer.Option(..., "--generator", "-g", help="Generator spec."),
    task: List[str] = typer.Option(..., "--task", "-t", help="A registered task or specs joined by '|'; repeatable "
                                                             "(the score is the mean over tasks)."),
    data: str = typer.Option(..., "--data", help="Clean training images: a folder or a registered dataset (never "
                                                 "the images you report on)."),
    base: str = typer.Option(..., "--base", help="The preset whose term weights are searched (e.g. brgm-pixel)."),
    output: Path = typer.Option(..., "--output", "-o", help="The preset file to write (.json)."),
    limit: Optional[int] = typer.Option(50, "--limit", min=1, help="Use N images spread evenly over the set."),
    metric: str = typer.Option("psnr", "--metric", help="The metric to improve: psnr, ssim, rmse or a registered one."),
    sweeps: int = typer.Option(1, "--sweeps", min=1, max=5, help="Rounds of the coordinate search."),
    steps: int = typer.Option(100, "--steps", min=1, help="MAP steps per reconstruction."),
    lr: float = typer.Option(0.05, "--lr", callback=learning_rate, help="Adam learning rate."),
    batch: int = typer.Option(50, "--batch", min=1, help="Images optimised together."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated noise and the solver."),
    precision: str = typer.Option("fp32", "--precision", help="fp32 or bf16."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace --output if it exists."),
) -> None:
    """Choose the weights of a preset's terms for this generator and tasks; writes a --preset file."""
    with reported_errors():
        from rich.console import Console
        from rich.table import Table

        from invgen.io.atomic import write_atomic
        from invgen.errors import OutputExists, UsageError
        from invgen.evaluation.trials import Budget
        from invgen.evaluation.tasks import task as lookup_task
        from invgen.evaluation.tune import FACTORS, split_terms, tune as search
        from invgen.registry.preset_files import SUFFIX, preset_file_text
        from invgen.runtime.device import resolve_device

        if output.suffix != SUFFIX:
            raise UsageError(f"{output}: a preset file must end with {SUFFIX}")
        if output.exists() and not overwrite:
            raise OutputExists(f"{output}: exists already; pass --overwrite or choose another file")
        tasks = [lookup_task(name) for name in task]
        console = Console(stderr=True)
        budget = Budget(steps=steps, lr=lr, batch=batch, seed=seed, precision=precision)
        found = search(generator, tasks, data, base, budget, limit, metric, sweeps, resolve_device(device),
                       on_setting=lambda terms, score: console.print(f"{score['mean']:.4f}  {' '.join(terms)}"))
        table = Table(title=f"{metric} on {found.images} images of {data} (mean over tasks)")
        for title in ("factors", *[t.name for t in tasks], "mean"):
            table.add_column(title)
        for factors, score in sorted(found.scores.items(), key=lambda item: -item[1]["mean"]):
            table.add_row(" ".join(f"{f:g}" for f in factors), *(f"{score[t.name]:.4f}" for t in tasks),
                          f"{score['mean']:.4f}")
        Console().print(table)
        command = "invgen tune " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else ""
        report = {"base": found.base, "factors": found.factors, "factors_tried": list(FACTORS),
                  "metric": metric, "images": found.images, "data": data, "tasks": [t.name for t in tasks],
                  "score": found.scores[tuple(found.factors)], "base_score": found.scores[(1.0,) * len(found.base)],
                  "settings_evaluated": len(found.scores), "command": command}
        losses, priors = split_terms(found.terms)
        write_atomic(output, preset_file_text(output.stem, losses, priors,
                                              summary=f"{base} with weights tuned for {generator} on "
                                                      f"{', '.join(t.name for t in tasks)}", tuned=report).encode())
        Console().print(f"best: {' '.join(found.terms)} ({metric} {report['score']['mean']:.4f} against "
                        f"{report['base_score']['mean']:.4f} with {base}'s weights); written to {output}; "
                        f"use it with --preset {output}")

