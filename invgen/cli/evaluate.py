"""``invgen eval``: several methods on several tasks over a set of images, with tables and figures."""

from __future__ import annotations

import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, List, Optional

import typer

from invgen.cli.app import reported_errors, stderr

RESULT_FILES = ("results.csv", "results.json", "results.md", "changes.md")


def evaluate(
    generator: str = typer.Option(..., "--generator", "-g", help="Generator spec."),
    data: str = typer.Option(..., "--data", help="A folder of clean images, or a registered dataset name."),
    task: List[str] = typer.Option(["sr4"], "--task", "-t", help="sr4, sr8, inpaint-center, inpaint-large, deblur, "
                                                                 "or specs joined by '|'; repeatable."),
    method: List[str] = typer.Option([], "--method", "-m", help="brgm, brgm-vi, pulse, pixel, plain, bicubic, "
                                                               "biharmonic, richardson-lucy, wiener; repeatable."),
    ablation: bool = typer.Option(False, "--ablation", help="Run the seed paper's cumulative variants instead."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                        help="Use N images spread evenly over the set (every k-th)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for tables and figures."),
    steps: int = typer.Option(200, "--steps", min=1, help="MAP steps (and VI warm-start steps)."),
    lr: float = typer.Option(0.05, "--lr", min=0.0, help="Adam learning rate."),
    batch: int = typer.Option(100, "--batch", min=1, help="Images optimised together."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated noise and the solvers."),
    precision: str = typer.Option("fp32", "--precision",
                                  help="fp32, or bf16 (networks in bfloat16 while optimising: faster on AMX CPUs)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace results already in --output."),
    resume: bool = typer.Option(False, "--resume", help="Reuse the (task, method) results an earlier run of the "
                                                        "same experiment left in --output (each is saved when done)."),
) -> None:
    """Compare reconstruction methods on corrupted copies of clean images (mean ± standard error)."""
    with reported_errors():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from invgen.cli.outputs import OutputExists, write_files
        from invgen.evaluation import report
        from invgen.evaluation.baselines import BASELINES
        from invgen.evaluation.changes import markdown as changes_markdown
        from invgen.evaluation.changes import paired_changes
        from invgen.evaluation.changes import rich_table as changes_table
        from invgen.evaluation.methods import METHODS, ablation_ladder, objective_identity
        from invgen.evaluation.methods import method as lookup
        from invgen.evaluation.parts import load_part, part_key, save_part
        from invgen.evaluation.runner import Budget, observations, run_baseline, run_generator_method
        from invgen.evaluation.tasks import task as lookup_task
        from invgen.spec import SpecError

        clash = [name for name in RESULT_FILES if (output / name).exists()]
        if clash and not (overwrite or resume):
            raise OutputExists(f"{output}: already holds results ({clash[0]}); pass --resume, --overwrite or "
                               "choose another")
        tasks = [lookup_task(name) for name in task]
        chosen = ablation_ladder() if ablation else []
        baselines: list[str] = []
        for name in method if not ablation else []:
            if name in BASELINES:
                baselines.append(name)
            else:
                chosen.append(lookup(name))
        if not chosen and not baselines:
            raise SpecError(f"give at least one --method (choose from {', '.join([*METHODS, *BASELINES])}) "
                            "or --ablation")
        import invgen
        from invgen.api import select_terms

        model = invgen.generator(generator)
        clean = _subset(_load(data, model.image_shape), limit)
        budget = Budget(steps=steps, lr=lr, batch=batch, seed=seed, precision=precision)
        command = "invgen eval " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else ""
        outcomes = []
        files: dict[str, bytes] = {}
        total = len(tasks) * len(clean) * (len(chosen) + len(baselines))
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=stderr, transient=True) as progress:
            bar = progress.add_task("evaluating", total=total)
            experiment = {"generator": generator, "data": data, "limit": limit, "budget": budget.__dict__}

            def finished(task_name: str, specs: Any, method_keys: list[Any], name: str, compute: Any) -> None:
                """Reuse a saved part under any of ``method_keys`` (with --resume), else compute it; either way
                it ends up saved under the first key."""
                keys = [part_key({**experiment, "task": [task_name, list(specs)], "method": method_key}, clean)
                        for method_key in method_keys]
                found = ((key, load_part(output, key)) for key in keys) if resume else iter(())
                key, outcome = next(((key, part) for key, part in found if part is not None), (None, None))
                if outcome is None:
                    outcome = compute()
                    if outcome is not None:
                        save_part(output, keys[0], outcome)
                else:
                    if key != keys[0]:  # saved under an older key: keep it under the current one too
                        save_part(output, keys[0], outcome)
                    outcome = replace(outcome, method=name)
                    progress.advance(bar, len(clean))
                if outcome is not None:
                    outcomes.append(outcome)

            def skipped_if_none(outcome: Any) -> Any:
                if outcome is None:  # the baseline does not apply to this task
                    progress.advance(bar, len(clean))
                return outcome

            for current in tasks:
                observed, groups = observations(current, clean, seed)
                for name in baselines:
                    progress.update(bar, description=f"{current.name} / {name}")
                    finished(current.name, current.specs, [name], name,
                             lambda: skipped_if_none(run_baseline(name, current, clean, observed, groups,
                                                                  lambda n: progress.advance(bar, n))))
                for chosen_method in chosen:
                    progress.update(bar, description=f"{current.name} / {chosen_method.name}")
                    terms = select_terms(chosen_method.preset, chosen_method.losses, chosen_method.priors)
                    by_name = {**chosen_method.__dict__, "terms": terms[:3]}  # how older parts were keyed
                    finished(current.name, current.specs, [objective_identity(generator, chosen_method), by_name],
                             chosen_method.name,
                             lambda: run_generator_method(generator, chosen_method, current, clean, observed, groups,
                                                          budget, lambda n: progress.advance(bar, n)))
                files[f"figure_{current.name.replace('|', '_').replace(':', '-')}.png"] = report.figure_png(
                    current.name, clean, observed, outcomes, command)
        rows = report.summary_rows(outcomes)
        changes = paired_changes(outcomes) if ablation else None
        files["results.csv"] = report.csv_text(rows).encode()
        files["results.md"] = report.markdown(rows, command).encode()
        files["results.json"] = report.json_text(rows, outcomes, command, changes).encode()
        if changes is not None:
            files["changes.md"] = changes_markdown(changes, command).encode()
        write_files(output, files)
        Console().print(report.rich_table(rows))
        if changes is not None:
            Console().print(changes_table(changes))
        Console().print(f"tables and figures in {output}/")


def _subset(images: Any, limit: int | None) -> Any:
    """``limit`` images at evenly spaced positions (class-sorted sets stay balanced), or all of them."""
    import torch

    if limit is None or limit >= len(images):
        return images
    return images[torch.linspace(0, len(images) - 1, limit).round().long()]


def _load(data: str, shape: Any):  # noqa: ANN202 - Tensor
    import torch

    from invgen.io import IMAGE_SUFFIXES, InputError, load_image
    from invgen.plugins import registry

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
