"""``invgen run``: reconstruct one image or many (a folder, a glob, a manifest), by MAP or VI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, List, Optional

import typer

from invgen.cli.checks import learning_rate

from invgen.cli.progress import ManyProgress, SingleBar
from invgen.errors import FAILURE, INTERRUPTED
from invgen.runtime.reporting import reported_errors

METHODS = ("map", "vi", "mcmc")


def run(
    generator: str = typer.Option(..., "--generator", "-g", help="Generator spec, e.g. stylegan2-ffhq or toy:size=32."),
    forward: List[str] = typer.Option(["identity"], "--forward", "-f",
                                      help="Forward model spec; repeat to chain them in order."),
    input: str = typer.Option(..., "--input", "-i", help="The observation (or, with --simulate, the clean image); "
                                                        "a folder, a glob or a manifest (.txt/.csv) for many."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the results (one sub-folder per input when "
                                                            "there are many, with index.csv and index.jsonl)."),
    loss: List[str] = typer.Option([], "--loss", help="Data-term spec; overrides the preset's term of that name."),
    prior: List[str] = typer.Option([], "--prior", help="Prior spec; overrides the preset's term of that name."),
    preset: Optional[str] = typer.Option(None, "--preset",
                                         help="Objective preset (default: brgm for map, bayes for vi, or what the "
                                              "forward model asks for: pixel for k-space)."),
    method: str = typer.Option("map", "--method", help="map (one estimate), vi (posterior samples from a fitted q) or "
                                                       "mcmc (samples by Langevin MCMC, MALA: exact in the limit)."),
    burn_in: int = typer.Option(100, "--burn-in", min=0, help="MCMC: steps adapting the step size before the kept "
                                                              "ones (--steps after it, every --thin-th kept)."),
    thin: int = typer.Option(5, "--thin", min=1, help="MCMC: keep every N-th state after burn-in."),
    samples: int = typer.Option(8, "--samples", min=2, max=256, help="VI: number of posterior samples."),
    basis: str = typer.Option("latent", "--basis", help="VI: latent (mean-field over w) or data (diagonal along the "
                                                        "directions the observation determines; small observations)."),
    simulate: bool = typer.Option(False, "--simulate", help="Corrupt the clean input first; report metrics against it."),
    steps: int = typer.Option(200, "--steps", min=1, help="Optimisation steps (for vi: of the ELBO)."),
    lr: float = typer.Option(0.05, "--lr", callback=learning_rate, help="Adam learning rate (MAP, and VI's warm start)."),
    schedule: str = typer.Option("cosine", "--schedule", help="MAP learning-rate schedule: cosine or constant."),
    seed: int = typer.Option(0, "--seed", help="Seed for the simulated noise and any randomness."),
    batch: Optional[int] = typer.Option(None, "--batch", min=1, help="Inputs optimised together (default: by device "
                                                                     "and image size)."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present; cuda:LOCAL_RANK under torchrun), "
                                                        "cpu, cuda or cuda:N."),
    precision: str = typer.Option("fp32", "--precision",
                                  help="fp32, or bf16 (networks in bfloat16 while optimising: faster on AMX CPUs)."),
    tf32: bool = typer.Option(False, "--tf32", help="Allow TF32 matrix units on CUDA (faster, not exact fp32)."),
    crop: Optional[str] = typer.Option(None, "--crop", help="center (largest centred square) or x0,y0,x1,y1."),
    resize: bool = typer.Option(False, "--resize", help="Resize each input to the size the problem needs."),
    align: str = typer.Option("none", "--align", help="ffhq: find the face in each photo and crop it as FFHQ's "
                                                       "images were (eyes and mouth landmarks; needs the align "
                                                       "extra); auto: as the generator declares; none."),
    face: Optional[int] = typer.Option(None, "--face", help="With --align, the face to use when a photo has "
                                                            "several (0 is the leftmost)."),
    fit: Optional[str] = typer.Option(None, "--fit", help="pad: centre a non-square (or small) input in the square "
                                                         "the problem takes, reflected padding around it that the "
                                                         "likelihood ignores (pad-zero: zeros), removed again in "
                                                         "reconstruction_restored.png; with --resize it is scaled "
                                                         "first, keeping its aspect."),
    restore_size: bool = typer.Option(False, "--restore-size", help="Also write reconstruction_restored.png at the "
                                                                    "input's pixel pitch (with --align: pasted "
                                                                    "back into the photo)."),
    window: Optional[str] = typer.Option(None, "--window", help="DICOM/NIfTI: CENTER,WIDTH in the file's units mapped "
                                                                "to the image range (default: the file's own window, "
                                                                "else min-max)."),
    starts: int = typer.Option(1, "--starts", min=1, max=64, help="MAP: optimise K diverse starts per input "
                                                                  "and write them ranked (mode_000.png ... best "
                                                                  "first): the several images that explain an "
                                                                  "ambiguous observation. VI: a mixture of K "
                                                                  "components weighted by their ELBO, sampled "
                                                                  "from all of them."),
    consistency: str = typer.Option("none", "--consistency", help="After the solve: paste (masks: the known "
                                                                 "pixels kept exactly), project (x + A⁺(y - Ax), "
                                                                 "e.g. area down-sampling) or none; the generator's "
                                                                 "own output is kept as reconstruction_raw.png."),
    calibrate: bool = typer.Option(False, "--calibrate", help="VI: scale the std map by the calibration `invgen "
                                                              "calibrate` stored for this generator, forward "
                                                              "chain and objective."),
    calibration: Optional[Path] = typer.Option(None, "--calibration", help="VI: scale the std map by this "
                                                                           "calibration file (implies "
                                                                           "--calibrate)."),
    domain_check: bool = typer.Option(True, "--domain-check/--no-domain-check",
                                      help="Compare each fit to the observation with the generator's on its own "
                                           "images (measured once per chain and settings, then cached) and warn "
                                           "when the input looks out of its domain."),
    init: Optional[Path] = typer.Option(None, "--init", help="Start from saved latents: a latent.safetensors, "
                                                             "a result folder, or a folder of many results "
                                                             "(one per input, as this run names them)."),
    gif: bool = typer.Option(False, "--gif", help="Also write optimisation.gif: the reconstruction every few steps "
                                                  "(about 50 frames), then the result."),
    shard: Optional[str] = typer.Option(None, "--shard", help="I/N: do every N-th input from the I-th (0-based); "
                                                              "torchrun and Slurm arrays are detected without it."),
    resume: bool = typer.Option(False, "--resume", help="Skip inputs whose results are complete."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace results already in --output."),
) -> None:
    """Reconstruct images: MAP estimate of the latent, or (--method vi) samples of its posterior."""
    with reported_errors():
        from invgen.run.geometry import Geometry
        from invgen.run.job import prepare
        from invgen.run.options import RunOptions
        from invgen.solvers.consistency import check_mode
        from invgen.errors import UsageError
        from invgen.io.medical import Window
        from invgen.solvers.map import MAPSettings
        from invgen.solvers.mcmc import MCMCSettings
        from invgen.solvers.vi import VISettings

        if method not in METHODS:
            raise UsageError(f"unknown --method {method!r} (choose map, vi or mcmc)")
        check_mode(consistency)
        settings = (MAPSettings(steps=steps, lr=lr, schedule=schedule, seed=seed, precision=precision, starts=starts)
                    if method == "map" else
                    VISettings(steps=steps, map_lr=lr, seed=seed, precision=precision, basis=basis, samples=samples,
                               starts=starts) if method == "vi" else
                    MCMCSettings(steps=steps, burn_in=burn_in, thin=min(thin, steps), map_lr=lr, seed=seed,
                                 precision=precision, samples=samples, starts=starts))
        options = RunOptions(tuple(forward), simulate, seed, batch, Geometry(crop, resize, fit), restore_size,
                             None if window is None else Window.parse(window), gif, consistency,
                             calibration if calibration is not None else "auto" if calibrate else None,
                             domain_check=domain_check, init=init, align=align, face=face)
        job = prepare(input, output, generator, options, settings, loss, prior, preset, resume, overwrite, shard,
                      device, tf32)
        single = job.single
        display = SingleBar(steps, method) if single else ManyProgress(len(job.items), job.shard)
        with display:
            outcome = job.run(display)
        if single:
            _single_summary(outcome, output)
        else:
            _many_summary(outcome, output, job.shard, job.merge(), job.write_volumes())
        if outcome.interrupted:
            print(f"invgen: interrupted; finished results and the best result so far are in {output}/",
                  file=sys.stderr)
            raise typer.Exit(INTERRUPTED)
        if outcome.failed:
            raise typer.Exit(FAILURE)


def _single_summary(outcome: Any, output: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    if outcome.last is None:
        return
    result, record = outcome.last
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
    for warning in record.get("warnings", []):
        table.add_row("warning", warning)
    if result.interrupted:
        table.add_row("interrupted", "yes: best result so far written")
    console = Console()
    console.print(table)
    console.print(f"results in {output}/ (comparison.png, run.json, ...)")


def _many_summary(outcome: Any, output: Path, part: Any, merged: bool, volumes: list[Path]) -> None:
    from rich.console import Console
    from rich.table import Table

    from invgen.run.batches import images_per_second

    ok = [row for row in outcome.rows if row["status"] == "ok"]
    table = Table(title=f"invgen run: {len(outcome.rows) + outcome.skipped} inputs"
                  + ("" if part.count == 1 else f" (shard {part.index}/{part.count})"), title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("reconstructed", str(len(ok)))
    table.add_row("failed", str(outcome.failed))
    table.add_row("complete already (--resume)", str(outcome.skipped))
    if outcome.interrupted:
        table.add_row("interrupted", "yes")
    table.add_row("images per second", f"{images_per_second(outcome):.3f}")
    for name in sorted({key for row in ok for key in row["metrics"]}):
        values = [row["metrics"][name] for row in ok if name in row["metrics"]]
        table.add_row(f"mean {name.upper()}", f"{sum(values) / len(values):.4f}")
    console = Console()
    console.print(table)
    for row in outcome.rows:
        if row["status"] == "error":
            named = row["error"] if row["input"] in row["error"] else f"{row['input']}: {row['error']}"
            console.print(f"[red]failed[/red] {named}", highlight=False)
    index = "index.csv and index.jsonl" if merged else "index/ (merged into index.csv when every shard is done)"
    console.print(f"results in {output}/ (one folder per input; {index})")
    for folder in volumes:
        console.print(f"volume written whole: {folder}/", highlight=False)
