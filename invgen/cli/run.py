"""``invgen run``: reconstruct one observation (or simulate one from a clean image first), by MAP or VI."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, List, Optional

import typer

from invgen.errors import INTERRUPTED
from invgen.reporting import reported_errors, stderr
from invgen.cli.outputs import check_output_dir, write_files

METHODS = ("map", "vi")


def run(
    generator: str = typer.Option(..., "--generator", "-g", help="Generator spec, e.g. stylegan2-ffhq or toy:size=32."),
    forward: List[str] = typer.Option(["identity"], "--forward", "-f",
                                      help="Forward model spec; repeat to chain them in order."),
    input: Path = typer.Option(..., "--input", "-i", help="The observation (or, with --simulate, the clean image)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the results."),
    loss: List[str] = typer.Option([], "--loss", help="Data-term spec; overrides the preset's term of that name."),
    prior: List[str] = typer.Option([], "--prior", help="Prior spec; overrides the preset's term of that name."),
    preset: Optional[str] = typer.Option(None, "--preset",
                                         help="Objective preset (default: brgm for map, bayes for vi)."),
    method: str = typer.Option("map", "--method", help="map (one estimate) or vi (posterior samples)."),
    samples: int = typer.Option(8, "--samples", min=2, max=256, help="VI: number of posterior samples."),
    basis: str = typer.Option("latent", "--basis", help="VI: latent (mean-field over w) or data (diagonal along the "
                                                        "directions the observation determines; small observations)."),
    simulate: bool = typer.Option(False, "--simulate", help="Corrupt the clean input first; report metrics against it."),
    steps: int = typer.Option(200, "--steps", min=1, help="Optimisation steps (for vi: of the ELBO)."),
    lr: float = typer.Option(0.05, "--lr", min=0.0, help="Adam learning rate (MAP, and VI's warm start)."),
    schedule: str = typer.Option("cosine", "--schedule", help="MAP learning-rate schedule: cosine or constant."),
    seed: int = typer.Option(0, "--seed", help="Seed for the simulated noise and any randomness."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    precision: str = typer.Option("fp32", "--precision",
                                  help="fp32, or bf16 (networks in bfloat16 while optimising: faster on AMX CPUs)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace results already in --output."),
) -> None:
    """Reconstruct an image: MAP estimate of the latent, or (--method vi) samples of its posterior."""
    with reported_errors():
        from invgen.baselines import baseline_scores
        from invgen.errors import UsageError
        from invgen.problem import build_problem
        from invgen.solving import solve
        from invgen.solvers.map import MAPSettings
        from invgen.solvers.vi import VISettings

        if method not in METHODS:
            raise UsageError(f"unknown --method {method!r} (choose map or vi)")
        check_output_dir(output, overwrite)
        settings = (MAPSettings(steps=steps, lr=lr, schedule=schedule, seed=seed, precision=precision)
                    if method == "map" else
                    VISettings(steps=steps, map_lr=lr, seed=seed, precision=precision, basis=basis, samples=samples))
        started = time.perf_counter()
        problem = build_problem(input, generator, list(forward), loss, prior, preset, device, method=method,
                                simulate=simulate, seed=seed)
        loaded = time.perf_counter()
        with _progress_bar(steps, method) as callback:
            result = solve(problem, settings, callback=callback)
        record = _record(result, input, simulate, seed, loaded - started, time.perf_counter() - started)
        if simulate:
            record["baselines"] = baseline_scores(problem)
        if method == "map":
            from invgen.cli.outputs import render_map

            files = render_map(result, record)
        else:
            from invgen.cli.posterior_outputs import posterior_summary, render_posterior

            record["posterior"] = posterior_summary(result)
            files = render_posterior(result, record)
        write_files(output, files)
        _summary(result, record, output)
        if result.interrupted:
            print(f"invgen: interrupted; the best result so far is in {output}/", file=sys.stderr)
            raise typer.Exit(INTERRUPTED)


class _progress_bar:
    """A rich progress bar on stderr that shows the current objective; yields the solver callback."""

    def __init__(self, steps: int, method: str) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        label = "optimising" if method == "map" else "fitting q (MAP warm start first)"
        self.progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[what]} {task.fields[value]}"), TimeRemainingColumn(),
                                 console=stderr, transient=True)
        self.task = self.progress.add_task(method, total=steps, value="-",
                                           what="objective" if method == "map" else "-ELBO")

    def __enter__(self) -> Any:
        self.progress.start()
        return self.update

    def update(self, step: Any) -> None:
        self.progress.update(self.task, completed=step.step, value=f"{step.total:.4g}")

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _record(result: Any, path: Path, simulate: bool, seed: int, load_s: float, total_s: float) -> dict[str, Any]:
    return {
        "input": str(path),
        "simulate": simulate,
        "seed": seed,
        **result.config,
        "interrupted": result.interrupted,
        "final_terms": {name: values[-1] for name, values in result.history.items()},
        "metrics": result.metrics,
        "timings_s": {"load": round(load_s, 3), "solve": round(result.seconds, 3), "total": round(total_s, 3)},
        "history": result.history,
    }


def _summary(result: Any, record: dict[str, Any], output: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"invgen run ({record['solver']['method']})", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for name, value in record["final_terms"].items():
        table.add_row(f"final {name}", f"{value:.5g}")
    for name, value in record.get("posterior", {}).items():
        table.add_row(name.replace("_", " "), f"{value:.4g}" if isinstance(value, float) else str(value))
    for name, values in result.metrics.items():
        table.add_row(name.upper(), ", ".join(f"{v:.4f}" for v in values))
    for baseline, scores in record.get("baselines", {}).items():
        table.add_row(f"{baseline} baseline PSNR / SSIM",
                      f"{scores['psnr']:.4f} / {scores['ssim']:.4f}" if "ssim" in scores else f"{scores['psnr']:.4f}")
    table.add_row("solve time", f"{result.seconds:.1f} s")
    if result.interrupted:
        table.add_row("interrupted", "yes: best result so far written")
    console = Console()
    console.print(table)
    console.print(f"results in {output}/ (comparison.png, run.json, ...)")
