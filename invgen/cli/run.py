"""``invgen run``: reconstruct one observation (or simulate one from a clean image first)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.console import Console
from rich.table import Table

from invgen.cli.app import reported_errors, stderr
from invgen.cli.outputs import check_output_dir, comparison_png, image_files, json_bytes, write_files


def run(
    generator: str = typer.Option(..., "--generator", "-g", help="Generator spec, e.g. stylegan2-ffhq or toy:size=32."),
    forward: List[str] = typer.Option(["identity"], "--forward", "-f",
                                      help="Forward model spec; repeat to chain them in order."),
    input: Path = typer.Option(..., "--input", "-i", help="The observation (or, with --simulate, the clean image)."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder for the results."),
    loss: List[str] = typer.Option([], "--loss", help="Data-term spec; overrides the preset's term of that name."),
    prior: List[str] = typer.Option([], "--prior", help="Prior spec; overrides the preset's term of that name."),
    preset: Optional[str] = typer.Option(None, "--preset", help="Objective preset (default brgm when no terms given)."),
    simulate: bool = typer.Option(False, "--simulate", help="Corrupt the clean input first; report metrics against it."),
    steps: int = typer.Option(200, "--steps", min=1, help="Optimisation steps."),
    lr: float = typer.Option(0.05, "--lr", min=0.0, help="Adam learning rate."),
    schedule: str = typer.Option("cosine", "--schedule", help="Learning-rate schedule: cosine or constant."),
    seed: int = typer.Option(0, "--seed", help="Seed for the simulated noise and any randomness."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace results already in --output."),
) -> None:
    """Reconstruct an image: MAP estimate of the latent that explains the observation."""
    with reported_errors():
        import invgen
        from invgen.api import check_observation, select_terms
        from invgen.plugins import registry

        check_output_dir(output, overwrite)
        losses, priors, _ = select_terms(preset, loss, prior)
        for kind, specs in (("generator", [generator]), ("forward", forward), ("loss", losses), ("prior", priors)):
            for spec in specs:
                registry().parse(kind, spec)
        started = time.perf_counter()
        gen = invgen.generator(generator)
        fwd = invgen.forward_model(list(forward))
        clean, observation = _observation(input, gen, fwd, simulate, seed)
        check_observation(observation, gen, fwd)
        loaded = time.perf_counter()
        with _progress_bar(steps) as callback:
            result = invgen.reconstruct(observation, gen, fwd, loss, prior, preset, steps=steps, lr=lr,
                                        schedule=schedule, seed=seed, device=device, ground_truth=clean,
                                        callback=callback)
        record = _record(result, input, simulate, seed, loaded - started, time.perf_counter() - started)
        write_files(output, _render(result, record))
        _summary(result, output)


def _observation(path: Path, gen: Any, fwd: Any, simulate: bool, seed: int) -> tuple[Any, Any]:
    from invgen.io import InputError, load_image

    image = load_image(path, gen.channels)
    if not simulate:
        return None, image
    if tuple(image.shape[1:]) != tuple(gen.image_shape):
        shape = "x".join(map(str, image.shape[1:]))
        want = "x".join(map(str, gen.image_shape))
        raise InputError(f"{path}: is {shape} but --simulate needs a clean {want} image for {gen.spec!r}")
    return image, fwd.simulate(image, seed)


class _progress_bar:
    """A rich progress bar on stderr that shows the current objective; yields the solver callback."""

    def __init__(self, steps: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("optimising"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("objective {task.fields[objective]}"), TimeRemainingColumn(),
                                 console=stderr, transient=True)
        self.task = self.progress.add_task("map", total=steps, objective="-")

    def __enter__(self) -> Any:
        self.progress.start()
        return self.update

    def update(self, step: Any) -> None:
        self.progress.update(self.task, completed=step.step, objective=f"{step.total:.4g}")

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _record(result: Any, path: Path, simulate: bool, seed: int, load_s: float, total_s: float) -> dict[str, Any]:
    return {
        "input": str(path),
        "simulate": simulate,
        "seed": seed,
        **result.config,
        "interrupted": result.interrupted,
        "steps_run": len(result.history["total"]),
        "final_terms": {name: values[-1] for name, values in result.history.items()},
        "objective": [float(v) for v in result.objective],
        "metrics": result.metrics,
        "timings_s": {"load": round(load_s, 3), "solve": round(result.seconds, 3), "total": round(total_s, 3)},
        "history": result.history,
    }


def _render(result: Any, record: dict[str, Any]) -> dict[str, bytes]:
    import torch.nn.functional as F

    files: dict[str, bytes] = {}
    files.update(image_files("reconstruction", result.image))
    files.update(image_files("observation", result.observation))
    files.update(image_files("prediction", result.prediction))
    if result.mask is not None:
        files.update(image_files("mask", result.mask * 2 - 1))
    size = result.image.shape[-2:]
    panels = [] if result.ground_truth is None else [("ground truth", result.ground_truth[0])]
    shown = result.observation[:1]
    if shown.shape[-2:] != size:
        shown = F.interpolate(shown, size=size, mode="nearest")
    if shown.shape[1] != result.image.shape[1]:
        shown = shown.mean(1, keepdim=True).expand(-1, result.image.shape[1], -1, -1)
    title = "reconstruction"
    if result.metrics:
        title += f"\nPSNR {result.metrics['psnr'][0]:.2f} dB" + (
            f", SSIM {result.metrics['ssim'][0]:.3f}" if "ssim" in result.metrics else "")
    panels += [("observation", shown[0]), (title, result.image[0])]
    footer = f"{record['generator']} | " + " | ".join(record["forward"])
    files["comparison.png"] = comparison_png(panels, footer)
    files["run.json"] = json_bytes(record)
    return files


def _summary(result: Any, output: Path) -> None:
    table = Table(title="invgen run", title_justify="left")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for name, values in result.history.items():
        table.add_row(f"final {name}", f"{values[-1]:.5g}")
    for name, values in result.metrics.items():
        table.add_row(name.upper(), ", ".join(f"{v:.4f}" for v in values))
    table.add_row("solve time", f"{result.seconds:.1f} s")
    if result.interrupted:
        table.add_row("interrupted", "yes: best result so far written")
    console = Console()
    console.print(table)
    console.print(f"results in {output}/ (comparison.png, reconstruction.png, run.json)")
