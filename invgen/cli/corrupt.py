"""``invgen corrupt``: write a synthetic observation (and its mask) from a clean image."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from invgen.reporting import reported_errors


def corrupt(
    forward: List[str] = typer.Option(..., "--forward", "-f", help="Forward model spec; repeat to chain them."),
    input: Path = typer.Option(..., "--input", "-i", help="The clean image."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the observation (PNG or .npy)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the noise model and random masks."),
    channels: Optional[int] = typer.Option(None, "--channels", min=1, help="Convert the input to 1 or 3 channels."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N: where the "
                                                        "forward model runs (noise is drawn on the CPU, so the "
                                                        "observation is the same on every device)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
) -> None:
    """Corrupt a clean image with a forward model; the mask (if any) goes to OUTPUT's name + _mask.png."""
    with reported_errors():
        import invgen
        from invgen.atomic import write_files
        from invgen.errors import OutputExists, UsageError
        from invgen.io import load_image, png_bytes
        from invgen.problem import resolve_device

        if output.suffix.lower() != ".png":
            raise UsageError(f"{output}: observations are written as PNG; give a .png --output")
        mask_path = output.with_name(output.stem + "_mask.png")
        for path in (output, mask_path):
            if path.exists() and not overwrite:
                raise OutputExists(f"{path}: exists; pass --overwrite or choose another --output")
        target = resolve_device(device)
        clean = load_image(input, channels)
        model = invgen.forward_model(list(forward)).to(target)
        observation = model.simulate(clean.to(target), seed).cpu()
        files = {output.name: png_bytes(observation[0])}
        mask = model.mask(tuple(clean.shape[1:]))
        if mask is not None:
            files[mask_path.name] = png_bytes(mask[0].cpu() * 2 - 1)
        write_files(output.parent, files)
        typer.echo(f"wrote {output} ({'x'.join(map(str, observation.shape[1:]))})"
                   + (f" and {mask_path}" if mask is not None else ""))
