"""``invgen align``: a photo's face cropped and rotated as FFHQ's images were, with the transform beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from invgen.runtime.reporting import reported_errors


def align(
    photo: Path = typer.Argument(..., help="The photo (PNG, JPEG, ...)."),
    output: Path = typer.Option(..., "--output", "-o", help="The aligned image (.png); OUTPUT.json gets the "
                                                            "transform (face, landmarks, the crop square)."),
    size: int = typer.Option(1024, "--size", min=8, max=8192, help="Side of the aligned image in pixels (the "
                                                                   "generator's resolution: 1024 for FFHQ)."),
    face: Optional[int] = typer.Option(None, "--face", min=0, help="The face to align when the photo has several "
                                                                   "(0 is the leftmost)."),
    grey: bool = typer.Option(False, "--grey", help="Write a grey image (for grey generators)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace existing output files."),
) -> None:
    """Find the face (dlib's detector and 68-point landmarks, offline) and crop it by FFHQ's recipe; `invgen run
    --align ffhq` does the same for each input and can paste the result back (--restore-size)."""
    with reported_errors():
        import json

        from invgen.align.photos import align_photo
        from invgen.errors import OutputExists, UsageError
        from invgen.io.atomic import write_files
        from invgen.io.images import load_image, png_bytes

        if output.suffix.lower() != ".png":
            raise UsageError(f"{output}: the aligned image is written as .png; give a .png name")
        record_path = output.with_suffix(".json")
        for path in (output, record_path):
            if path.exists() and not overwrite:
                raise OutputExists(f"{path}: exists; pass --overwrite or choose another --output")
        image = load_image(photo, 1 if grey else 3)
        aligned, record = align_photo(image, size, str(photo), face)
        record["photo"] = str(photo)
        write_files(output.parent, {output.name: png_bytes(aligned[0]),
                                    record_path.name: (json.dumps(record, indent=2) + "\n").encode()})
        left, right = record["points"]["eye_left"], record["points"]["eye_right"]
        typer.echo(f"wrote {output} ({size}x{size}, face {record['face']} of {record['faces']}, eyes at "
                   f"{left[0]:.0f},{left[1]:.0f} and {right[0]:.0f},{right[1]:.0f} in the photo) and {record_path}")
