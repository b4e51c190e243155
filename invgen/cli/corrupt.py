"""``invgen corrupt``: write a synthetic observation (and its mask) from a clean image."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from invgen.runtime.reporting import reported_errors

MEDICAL = {".dcm": "dicom", ".nii.gz": "nifti"}


def medical_input(input: Path, suffix: str, output: Path):  # noqa: ANN201 - (image, record), torch imported lazily
    """A DICOM or NIfTI input read over its whole range, for an observation written in the same format."""
    from invgen.errors import UsageError
    from invgen.io.medical import DICOM_SUFFIXES, is_medical, read_medical, split_options

    kind = "dicom" if split_options(input)[0].name.lower().endswith(DICOM_SUFFIXES) else "nifti"
    if not is_medical(input) or MEDICAL[suffix] != kind:
        raise UsageError(f"{output}: a {suffix} observation is written from a {MEDICAL[suffix].upper()} input (its "
                         "patient, study and geometry); give such an input, or write .png or .npz")
    return read_medical(input, full_range=True)


def medical_observation(observation, record: dict, forward: list[str], output: Path) -> tuple[bytes, list[str]]:  # noqa: ANN001
    """The observation in the input's format and units (one grey image, not data such as k-space)."""
    from invgen.errors import UsageError
    from invgen.io.medical import write_medical

    if observation.shape[1] != 1:
        raise UsageError(f"{output}: this observation has {observation.shape[1]} channels (data, not a grey "
                         f"image); write it as {output.name.split('.')[0]}.npz")
    _, written, notes = write_medical(observation, record, " | ".join(forward), kind="observation")
    return written, notes


def corrupt(
    forward: List[str] = typer.Option(..., "--forward", "-f", help="Forward model spec; repeat to chain them."),
    input: Path = typer.Option(..., "--input", "-i", help="The clean image."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the observation: .png for images in "
                                                            "[-1, 1], .npz for any values (noise, k-space); .dcm "
                                                            "or .nii.gz for a DICOM or NIfTI input, in its units."),
    seed: int = typer.Option(0, "--seed", help="Seed of the noise model and random masks."),
    channels: Optional[int] = typer.Option(None, "--channels", min=1, help="Convert the input to 1 or 3 channels."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu, cuda or cuda:N: where the "
                                                        "forward model runs (noise is drawn on the CPU, so the "
                                                        "observation is the same on every device)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output file."),
) -> None:
    """Corrupt a clean image with a forward model; the mask (if any) goes to OUTPUT's name + _mask.png.

    Observations keep their values: a PNG would clip what lies outside [-1, 1] (noise, k-space data),
    so such an observation is refused as PNG; an .npz keeps it exactly as `invgen run --simulate` sees it. A
    DICOM or NIfTI input's observation can be kept as a derived DICOM or a NIfTI slice in the input's units
    (Hounsfield units ...): the input's whole range is mapped, so nothing is clipped.
    """
    with reported_errors():
        import invgen
        from invgen.io.atomic import write_files
        from invgen.errors import OutputExists, UsageError
        from invgen.io.images import load_image, png_bytes, save_observation
        from invgen.runtime.device import resolve_device

        suffix = ".nii.gz" if output.name.lower().endswith(".nii.gz") else output.suffix.lower()
        if suffix not in (".png", ".npz", *MEDICAL):
            raise UsageError(f"{output}: observations are written as .png (images), .npz (any values), or .dcm / "
                             ".nii.gz (a DICOM or NIfTI input's, in its units); give one")
        mask_path = output.with_name(output.name[:-len(suffix)] + "_mask.png")
        for path in (output, mask_path):
            if path.exists() and not overwrite:
                raise OutputExists(f"{path}: exists; pass --overwrite or choose another --output")
        target = resolve_device(device)
        record = None
        if suffix in MEDICAL:
            clean, record = medical_input(input, suffix, output)
        else:
            clean = load_image(input, channels)
        model = invgen.forward_model(list(forward)).to(target)
        observation = model.simulate(clean.to(target), seed).cpu()
        outside = (observation.abs() > 1 + 1e-6).float().mean().item()
        if suffix == ".png" and outside > 0:
            raise UsageError(f"{output}: {outside:.1%} of this observation's values lie outside [-1, 1] and a PNG "
                             f"would clip them; give {output.with_suffix('.npz')} to keep them")
        mask = model.mask(tuple(clean.shape[1:]))
        write_files(output.parent, {} if mask is None else {mask_path.name: png_bytes(mask[0].cpu() * 2 - 1)})
        if record is not None:
            written, notes = medical_observation(observation, record, list(forward), output)
            write_files(output.parent, {output.name: written})
            for note in notes:
                typer.echo(f"note: {note}", err=True)
        elif suffix == ".npz":
            save_observation(output, observation[0])
        else:
            write_files(output.parent, {output.name: png_bytes(observation[0])})
        typer.echo(f"wrote {output} ({'x'.join(map(str, observation.shape[1:]))})"
                   + (f" and {mask_path}" if mask is not None else ""))
