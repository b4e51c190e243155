"""``invgen calibrate``: fit the scale that makes a posterior's std map cover the truth as often as it says."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from invgen.cli.checks import learning_rate
from invgen.runtime.reporting import reported_errors, stderr


def calibrate(
    generator: str = typer.Option(..., "--generator", "-g", help="Generator spec (as for invgen run)."),
    forward: List[str] = typer.Option(..., "--forward", "-f", help="Forward spec; repeat to chain (as for invgen "
                                                                   "run)."),
    data: str = typer.Option(..., "--data", help="Clean images the run never sees: a folder or a registered "
                                                 "dataset (e.g. a training split)."),
    limit: Optional[int] = typer.Option(100, "--limit", min=1, help="Use N images spread evenly over the set."),
    loss: List[str] = typer.Option([], "--loss", help="Data-term spec; overrides the preset's term of that name."),
    prior: List[str] = typer.Option([], "--prior", help="Prior spec; overrides the preset's term of that name."),
    preset: Optional[str] = typer.Option(None, "--preset", help="Objective preset (default: the generator's for vi)."),
    method: str = typer.Option("vi", "--method", help="vi (the std scale, and with --starts the mode temperature) "
                                                      "or map (with --starts: the mode temperature)."),
    steps: int = typer.Option(200, "--steps", min=1, help="VI steps (MAP: its steps), as for invgen run --steps."),
    map_steps: int = typer.Option(200, "--map-steps", min=1, help="Steps of the MAP warm start."),
    lr: float = typer.Option(0.05, "--lr", callback=learning_rate, help="Learning rate of the MAP warm start."),
    samples: int = typer.Option(8, "--samples", min=2, max=256, help="Posterior samples per image."),
    basis: str = typer.Option("latent", "--basis", help="q's basis: latent or data (as for invgen run)."),
    starts: int = typer.Option(1, "--starts", min=1, max=64, help="Starts: mixture components or MAP modes (as for "
                                                                  "invgen run); >1 also fits their temperature."),
    target: float = typer.Option(0.95, "--target", min=0.5, max=0.999, help="Coverage to reach."),
    batch: int = typer.Option(50, "--batch", min=1, help="Images fitted together."),
    seed: int = typer.Option(0, "--seed", help="Seed of the simulated noise and the solver."),
    precision: str = typer.Option("fp32", "--precision", help="fp32 or bf16 (as for invgen run)."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Also write the calibration to this file."),
) -> None:
    """Fit the std scale of a posterior (VI) and the temperature of several starts' mode probabilities on clean
    images; `invgen run --calibrate` (same method, starts, generator, chain and objective) applies them."""
    with reported_errors():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        from invgen.evaluation.calibration import save_calibration
        from invgen.problem.components import check_specs
        from invgen.errors import OutputExists
        from invgen.evaluation.calibrate import calibrate as fit
        from invgen.runtime.device import resolve_device
        from invgen.errors import UsageError
        from invgen.solvers.map import MAPSettings
        from invgen.solvers.vi import VISettings

        check_specs("forward", forward)
        if method not in ("vi", "map"):
            raise UsageError(f"unknown --method {method!r} (choose vi or map)")
        if output is not None and output.exists():
            raise OutputExists(f"{output}: exists already; choose another file or remove it")
        settings = (VISettings(steps=steps, map_steps=map_steps, map_lr=lr, samples=samples, basis=basis,
                               starts=starts, seed=seed, precision=precision) if method == "vi" else
                    MAPSettings(steps=steps, lr=lr, starts=starts, seed=seed, precision=precision))
        with Progress("calibrating", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=stderr,
                      transient=True) as progress:
            bar = progress.add_task("calibrating", total=limit)
            found = fit(generator, forward, data, settings, limit, preset, loss, prior, batch, target,
                        device=resolve_device(device), on_batch=lambda count: progress.advance(bar, count))
        stored = save_calibration(found)
        if output is not None:
            save_calibration(found, output)
        lines = []
        if found.scale is not None:
            lines.append(f"std scale {found.scale:.4g}: {found.k:g}-std coverage of "
                         f"{'all' if found.region == 'all' else 'the ' + found.region} pixels of {found.images} "
                         f"images {found.coverage_before:.1%} -> {found.coverage_after:.1%} (target "
                         f"{found.target:.0%})")
        if found.temperature is not None:
            lines.append(f"mode temperature {found.temperature:.4g}: the nearest of {starts} modes has mean negative "
                         f"log probability {found.modes['nll_uncalibrated']:.3g} -> {found.modes['nll']:.3g} "
                         f"on {found.images} images")
        Console().print(
            "; ".join(lines) + f"; in-domain fit to the observation {found.fit_db[1]:.1f} dB (median)\n"
            f"saved as {stored}" + (f" and {output}" if output is not None else "") +
            f"; apply with `invgen run --method {method}" + (f" --starts {starts}" if starts > 1 else "") +
            " --calibrate` (same generator, forward chain and objective)")
