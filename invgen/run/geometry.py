"""Bringing an input to the size the problem needs (``--crop``, ``--resize``) and a result back (``--restore-size``).

The transform is recorded in ``run.json`` (``input_geometry``): the input's size, the crop box
``[x0, y0, x1, y1]`` in its pixels, and the size it was resized from and to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch.nn.functional as F
from torch import Tensor

from invgen.errors import InputError, UsageError


@dataclass(frozen=True)
class Geometry:
    """``crop``: None, ``center`` (the largest centred square) or ``x0,y0,x1,y1`` in pixels; ``resize``:
    scale the (cropped) input to the size the problem needs."""

    crop: str | None = None
    resize: bool = False

    def __post_init__(self) -> None:
        if self.crop not in (None, "center"):
            _box_numbers(self.crop)

    def fit(self, image: Tensor, size: tuple[int, int], source: str) -> tuple[Tensor, dict[str, Any]]:
        """``image [1, C, H, W]`` cropped and resized to ``size`` as asked; the record of what was done."""
        height, width = image.shape[-2:]
        box = self._box(height, width, source)
        if box is not None:
            x0, y0, x1, y1 = box
            image = image[..., y0:y1, x0:x1]
        record: dict[str, Any] = {"original_size": [height, width], "crop": box, "resized_from": None}
        if self.resize and tuple(image.shape[-2:]) != tuple(size):
            record["resized_from"] = list(image.shape[-2:])
            image = resample(image, size)
        record["size"] = list(image.shape[-2:])
        return image, record

    def _box(self, height: int, width: int, source: str) -> list[int] | None:
        if self.crop is None:
            return None
        if self.crop == "center":
            side = min(height, width)
            x0, y0 = (width - side) // 2, (height - side) // 2
            return [x0, y0, x0 + side, y0 + side]
        x0, y0, x1, y1 = _box_numbers(self.crop)
        if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
            raise InputError(f"{source}: --crop {self.crop} lies outside its {width}x{height} pixels; give a box "
                             "inside the image")
        return [x0, y0, x1, y1]


def _box_numbers(text: str) -> tuple[int, int, int, int]:
    parts = text.split(",")
    if len(parts) != 4 or not all(part.strip().isdigit() for part in parts):
        raise UsageError(f"--crop {text!r}: give center or a box x0,y0,x1,y1 in pixels, e.g. --crop 10,10,138,138")
    x0, y0, x1, y1 = (int(part) for part in parts)
    return x0, y0, x1, y1


def resample(image: Tensor, size: tuple[int, int]) -> Tensor:
    """Resize ``[B, C, H, W]`` in [-1, 1]: area averaging when shrinking, antialiased bicubic when enlarging."""
    if image.shape[-2] >= size[0] and image.shape[-1] >= size[1]:
        return F.interpolate(image, size=size, mode="area")
    return F.interpolate(image, size=size, mode="bicubic", align_corners=False, antialias=True).clamp(-1, 1)


def restored(reconstruction: Tensor, record: dict[str, Any], problem_size: tuple[int, int]) -> Tensor:
    """The reconstruction at the input's pixel pitch: the (cropped) input's size times the factor between the
    size the problem took and the generator's (x4 for a x4 super-resolution, 1 for a clean input)."""
    fitted = record["resized_from"] or record["size"]
    scale_h = reconstruction.shape[-2] / problem_size[0]
    scale_w = reconstruction.shape[-1] / problem_size[1]
    return resample(reconstruction, (round(fitted[0] * scale_h), round(fitted[1] * scale_w)))
