"""``invgen render``: a run's images made again from its saved latents (``latent.safetensors``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from invgen.runtime.reporting import reported_errors


def render(
    source: Path = typer.Argument(..., help="A result folder of `invgen run` (or a folder of many results)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Folder for the images (one sub-folder per "
                                                                      "result for many; default: SOURCE-rendered "
                                                                      "beside it); never the run's own folder."),
    generator: Optional[str] = typer.Option(None, "--generator", "-g", help="Generator spec to render with "
                                                                            "(default: the one recorded in each "
                                                                            "latent file), e.g. its weights "
                                                                            "at a new path."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace files in a non-empty --output."),
) -> None:
    """Re-render reconstructions, modes and posterior samples from their latents: the same PNGs as the run's on
    the same device, the float images as .npy, and rendered.json saying what they came from."""
    with reported_errors():
        from invgen.run.rerender import render_results

        target = output if output is not None else source.with_name(source.resolve().name + "-rendered")
        done = render_results(source, target, generator, device, overwrite)
        count = len(done.files)
        typer.echo(f"rendered {count} result{'s' if count != 1 else ''} into {done.output}/")
