"""``invgen corrupt``: write a synthetic observation (and its mask) from a clean image."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from invgen.runtime.reporting import reported_errors


def corrupt(
    forward: List[str] = typer.Option(..., "--forward", "-f", help="Forward model spec; repeat to chain them."),
    input: Path = typer.Option(..., "--input", "-i", help="The clean image."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the observation: .png for images in "
                                                            "[-1, 1], .npz for any values (noise, k-space)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the noise model and random masks."),
    channels: Optional[int] = typer.Option(None, "--channels", min=1, help="Convert the input to 1 or 3 channels."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N: where the "
                                                        "forward model runs (noise is drawn on the CPU, so the "
                                                        "observation is the same on every device)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
) -> None:
    """Corrupt a clean image with a forward model; the mask (if any) goes to OUTPUT's name + _mask.png.

    Observations keep their values: a PNG would clip what lies outside [-1, 1] (noise, k-space data),
    so such an observation is refused as PNG; an .npz keeps it exactly as `invgen run --simulate` sees it.
    """
    with reported_errors():
        import invgen
        from invgen.io.atomic import write_files
        from invgen.errors import OutputExists, UsageError
        from invgen.io.images import load_image, png_bytes, save_observation
        from invgen.runtime.device import resolve_device

        suffix = output.suffix.lower()
        if suffix not in (".png", ".npz"):
            raise UsageError(f"{output}: observations are written as .png (images) or .npz (any values); give one")
        mask_path = output.with_name(output.stem + "_mask.png")
        for path in (output, mask_path):
            if path.exists() and not overwrite:
                raise OutputExists(f"{path}: exists; pass --overwrite or choose another --output")
        target = resolve_device(device)
        clean = load_image(input, channels)
        model = invgen.forward_model(list(forward)).to(target)
        observation = model.simulate(clean.to(target), seed).cpu()
        outside = (observation.abs() > 1 + 1e-6).float().mean().item()
        if suffix == ".png" and outside > 0:
            raise UsageError(f"{output}: {outside:.1%} of this observation's values lie outside [-1, 1] and a PNG "
                             f"would clip them; give {output.with_suffix('.npz')} to keep them")
        mask = model.mask(tuple(clean.shape[1:]))
        write_files(output.parent, {} if mask is None else {mask_path.name: png_bytes(mask[0].cpu() * 2 - 1)})
        if suffix == ".npz":
            save_observation(output, observation[0])
        else:
            write_files(output.parent, {output.name: png_bytes(observation[0])})
        typer.echo(f"wrote {output} ({'x'.join(map(str, observation.shape[1:]))})"
                   + (f" and {mask_path}" if mask is not None else ""))
