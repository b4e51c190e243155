"""The files a run writes: images, a side-by-side comparison figure and ``run.json``.

Everything is rendered in memory first and written only when all of it succeeded, each file
atomically, so an error never leaves a half-written output folder.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invgen.atomic import write_atomic
from invgen.errors import UserError

if TYPE_CHECKING:
    from torch import Tensor

RUN_FILES = ("reconstruction.png", "observation.png", "prediction.png", "comparison.png", "run.json")


class OutputExists(UserError, FileExistsError):
    """The output folder already holds results; refusing to overwrite them."""


def check_output_dir(output: Path, overwrite: bool) -> None:
    """Refuse (before any work) to overwrite earlier results unless asked to."""
    if output.exists() and not output.is_dir():
        raise OutputExists(f"{output}: exists and is not a folder; choose another --output")
    clash = [name for name in RUN_FILES if (output / name).exists()]
    if clash and not overwrite:
        raise OutputExists(f"{output}: already holds results ({clash[0]}); pass --overwrite or choose another --output")


def comparison_png(panels: list[tuple[str, Tensor]], footer: str = "") -> bytes:
    """A row of labelled images (each ``[C, H, W]`` in [-1, 1], shown at the same size) as PNG bytes."""
    import matplotlib

    from invgen.io import to_uint8

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 3.0), squeeze=False)
    for axis, (title, image) in zip(axes[0], panels):
        array = to_uint8(image)
        axis.imshow(array, cmap="gray" if array.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
        axis.set_title(title, fontsize=9)
        axis.set_xticks([])
        axis.set_yticks([])
    if footer:
        figure.text(0.5, 0.01, footer, ha="center", fontsize=7, wrap=True)
    figure.tight_layout(rect=(0, 0.06 if footer else 0, 1, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return buffer.getvalue()


def write_files(output: Path, files: dict[str, bytes]) -> None:
    """Write every rendered file into ``output`` (created if needed)."""
    output.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_atomic(output / name, data)


def json_bytes(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=2, sort_keys=False, default=str) + "\n").encode()


def image_files(prefix: str, images: Tensor) -> dict[str, bytes]:
    """``prefix.png`` for one image, ``prefix_000.png``... for a batch of ``[B, C, H, W]``."""
    from invgen.io import png_bytes

    if images.shape[0] == 1:
        return {f"{prefix}.png": png_bytes(images[0])}
    return {f"{prefix}_{i:03d}.png": png_bytes(image) for i, image in enumerate(images)}
