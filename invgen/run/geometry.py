"""Bringing an input to the size the problem needs (``--crop``, ``--resize``, ``--fit pad``) and a result back
(``--restore-size``).

The transform is recorded in ``run.json`` (``input_geometry``): the input's size, the crop box
``[x0, y0, x1, y1]`` in its pixels, the size it was resized from and to, and the padding
``[top, bottom, left, right]`` that made it square (its pixels unknown to the likelihood).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch.nn.functional as F
from torch import Tensor

from invgen.errors import InputError, UsageError

PADS = {"pad": "reflect", "pad-zero": "constant"}  # --fit: how the padding is filled (torch's pad modes)


@dataclass(frozen=True)
class Geometry:
    """``crop``: None, ``center`` (the largest centred square) or ``x0,y0,x1,y1`` in pixels; ``resize``:
    scale the (cropped) input to the size the problem needs; ``fit``: None, ``pad`` or ``pad-zero`` (centre
    the input in the size the problem needs, reflected or zero padding around it, unknown to the likelihood;
    with ``resize`` the input is first scaled, keeping its aspect, until its long side fits)."""

    crop: str | None = None
    resize: bool = False
    fit: str | None = None

    def __post_init__(self) -> None:
        if self.crop not in (None, "center"):
            _box_numbers(self.crop)
        if self.fit is not None and self.fit not in PADS:
            raise UsageError(f"--fit {self.fit!r}: choose pad (reflected padding) or pad-zero")

    def fit_to(self, image: Tensor, size: tuple[int, int], source: str) -> tuple[Tensor, dict[str, Any]]:
        """``image [1, C, H, W]`` cropped, resized and padded to ``size`` as asked; the record of what was done."""
        height, width = image.shape[-2:]
        box = self._box(height, width, source)
        if box is not None:
            x0, y0, x1, y1 = box
            image = image[..., y0:y1, x0:x1]
        record: dict[str, Any] = {"original_size": [height, width], "crop": box, "resized_from": None}
        target = _inside(tuple(image.shape[-2:]), size) if self.fit else tuple(size)
        if self.resize and tuple(image.shape[-2:]) != target:
            record["resized_from"] = list(image.shape[-2:])
            image = resample(image, target)
        if self.fit:
            image, record["pad"] = _padded(image, size, PADS[self.fit], source)
            record["fit"] = self.fit
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


def _inside(shape: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """The largest size of ``shape``'s aspect that fits in ``size``."""
    scale = min(size[0] / shape[0], size[1] / shape[1])
    return min(size[0], max(1, round(shape[0] * scale))), min(size[1], max(1, round(shape[1] * scale)))


def _padded(image: Tensor, size: tuple[int, int], mode: str, source: str) -> tuple[Tensor, list[int]]:
    """``image`` centred in ``size`` (odd remainders at the bottom and right); the padding [top, bottom, left, right]."""
    height, width = image.shape[-2:]
    if height > size[0] or width > size[1]:
        raise InputError(f"{source}: {width}x{height} pixels do not fit in the {size[1]}x{size[0]} the problem "
                         "takes; add --resize to scale it down first (keeping its aspect)")
    top, left = (size[0] - height) // 2, (size[1] - width) // 2
    pad = [top, size[0] - height - top, left, size[1] - width - left]
    if mode == "reflect" and (max(pad[:2]) >= height or max(pad[2:]) >= width):
        mode = "replicate"  # reflection cannot pad more than the image's own size: extend its edge instead
    return F.pad(image, (pad[2], pad[3], pad[0], pad[1]), mode=mode), pad


def known_pixels(record: dict[str, Any], size: tuple[int, int]) -> Tensor | None:
    """``[1, 1, *size]``: 1 where the observation holds the input's own pixels, 0 on padding (None: no padding).
    ``record["size"]`` may differ from ``size`` (a clean input padded at the generator's size, observed through
    a down-sampling chain): an observed pixel is known only if it sees no padding at all."""
    import torch

    if not record.get("pad"):
        return None
    top, bottom, left, right = record["pad"]
    height, width = record["size"]
    own = torch.zeros(1, 1, height, width)
    own[..., top:height - bottom, left:width - right] = 1
    if (height, width) == tuple(size):
        return own
    return (F.interpolate(own, size=size, mode="area") > 1 - 1e-6).float()


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


def unpadded(reconstruction: Tensor, record: dict[str, Any]) -> Tensor:
    """The reconstruction without ``--fit pad``'s padding (scaled from the padded input's size to the image's)."""
    if not record.get("pad"):
        return reconstruction
    top, bottom, left, right = record["pad"]
    height, width = record["size"]
    scale_h, scale_w = reconstruction.shape[-2] / height, reconstruction.shape[-1] / width
    return reconstruction[..., round(top * scale_h):round((height - bottom) * scale_h),
                          round(left * scale_w):round((width - right) * scale_w)]


def restored(reconstruction: Tensor, record: dict[str, Any], problem_size: tuple[int, int]) -> Tensor:
    """The reconstruction at the input's pixel pitch, its padding removed: the (cropped) input's size times the
    factor between the size the problem took and the generator's (x4 for a x4 super-resolution, 1 for a clean
    input)."""
    scale_h = reconstruction.shape[-2] / problem_size[0]
    scale_w = reconstruction.shape[-1] / problem_size[1]
    image = unpadded(reconstruction, record)
    pad = record.get("pad") or [0, 0, 0, 0]
    fitted = record["resized_from"] or [record["size"][0] - pad[0] - pad[1], record["size"][1] - pad[2] - pad[3]]
    wanted = (round(fitted[0] * scale_h), round(fitted[1] * scale_w))
    return image if tuple(image.shape[-2:]) == wanted else resample(image, wanted)
