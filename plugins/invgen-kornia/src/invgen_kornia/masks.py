"""Inpainting forward models: multiply by a binary mask (1 = known, 0 = unknown).

The observation stores unknown pixels as 0 and :meth:`mask` exposes the mask, so data terms
ignore those pixels and outputs can show them. A mask depends only on the image size and the
model's own parameters (random masks have their own ``seed``), so it is the same for the
simulated observation and inside the objective.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from invgen.plugin import ForwardModel, InputError, Shape, load_array


class MaskModel(ForwardModel):
    """Base class: subclasses draw the ``[H, W]`` known-pixel mask for a size; it is cached per size."""

    def __init__(self) -> None:
        super().__init__()
        self._cache: dict[tuple[int, int], Tensor] = {}

    def draw(self, height: int, width: int) -> Tensor:
        raise NotImplementedError

    def mask(self, input_shape: Shape) -> Tensor:
        size = (int(input_shape[1]), int(input_shape[2]))
        if size not in self._cache:
            self._cache[size] = self.draw(*size).float()[None, None]
        return self._cache[size]

    def forward(self, x: Tensor) -> Tensor:
        return x * self.mask(tuple(x.shape[1:])).to(x)

    def pseudo_inverse(self, y: Tensor, input_shape: Shape) -> Tensor:
        """A mask is its own pseudo-inverse (a diagonal of zeros and ones)."""
        return y * self.mask(input_shape).to(y)

    def output_shape(self, input_shape: Shape) -> Shape:
        self.mask(input_shape)
        return tuple(input_shape)  # type: ignore[return-value]


class BoxMask(MaskModel):
    """One rectangle ``[x0, y0, x1, y1]`` unknown, or a mask read from a PNG/NPY file (white = known).

    Box coordinates are fractions of the size when all are <= 1, pixels otherwise (x1, y1 exclusive).
    """

    def __init__(self, box: tuple[float, ...] | None = None, path: str | None = None, resize: bool = False) -> None:
        super().__init__()
        if (box is None) == (path is None):
            raise ValueError("give exactly one of box=[x0,y0,x1,y1] or path=FILE")
        self.box, self.path, self.resize = box, path, resize
        self.file_mask = None if path is None else read_mask(Path(path))
        if box is not None and not (box[0] < box[2] and box[1] < box[3]):
            raise ValueError(f"box={list(box)} must have x0 < x1 and y0 < y1")

    def draw(self, height: int, width: int) -> Tensor:
        if self.file_mask is not None:
            return self._from_file(height, width)
        x0, y0, x1, y1 = self.box
        if max(self.box) <= 1:
            x0, x1, y0, y1 = x0 * width, x1 * width, y0 * height, y1 * height
        left, right, top, bottom = (int(round(v)) for v in (x0, x1, y0, y1))
        if left < 0 or top < 0 or right > width or bottom > height:
            raise ValueError(f"box={list(self.box)} reaches outside the {height}x{width} image")
        known = torch.ones(height, width)
        known[top:bottom, left:right] = 0
        return known

    def _from_file(self, height: int, width: int) -> Tensor:
        known = self.file_mask
        if tuple(known.shape) != (height, width):
            if not self.resize:
                raise ValueError(f"mask {self.path} is {known.shape[0]}x{known.shape[1]} but the image is "
                                 f"{height}x{width}; pass resize=true to resize it (nearest neighbour)")
            known = F.interpolate(known[None, None], size=(height, width), mode="nearest")[0, 0]
        return known


def read_mask(path: Path) -> Tensor:
    """A ``[H, W]`` 0/1 mask from a PNG (or other image) or ``.npy``: values above half are known."""
    if path.suffix.lower() == ".npy":
        array = load_array(path, "mask").astype(np.float64)
        if array.ndim != 2:
            raise InputError(f"{path}: a mask must be a 2-D array, got shape {array.shape}")
        top = array.max() if array.size else 0
        return torch.from_numpy(array > (top / 2 if top > 1 else 0.5)).float()
    from invgen.plugin import load_image

    return (load_image(path, channels=1)[0, 0] > 0).float()


class CenterMask(MaskModel):
    """A centred square covering ``fraction`` of the image area is unknown."""

    def __init__(self, fraction: float = 0.5) -> None:
        super().__init__()
        self.fraction = fraction

    def draw(self, height: int, width: int) -> Tensor:
        side_h, side_w = round(height * math.sqrt(self.fraction)), round(width * math.sqrt(self.fraction))
        top, left = (height - side_h) // 2, (width - side_w) // 2
        known = torch.ones(height, width)
        known[top:top + side_h, left:left + side_w] = 0
        return known


class RandomMask(MaskModel):
    """A seeded random mask with at least ``fraction`` of the pixels unknown.

    ``boxes``: random rectangles; ``strokes``: thick free-form brush strokes (like the large
    masks of the inpainting literature); ``pixels``: exactly ``fraction`` of the pixels, scattered.
    """

    def __init__(self, kind: str = "strokes", fraction: float = 0.3, seed: int = 0) -> None:
        super().__init__()
        self.kind, self.fraction, self.seed = kind, fraction, seed

    def draw(self, height: int, width: int) -> Tensor:
        rng = np.random.default_rng(self.seed)
        if self.kind == "pixels":
            unknown = rng.permutation(height * width)[: round(self.fraction * height * width)]
            known = np.ones(height * width)
            known[unknown] = 0
            return torch.from_numpy(known.reshape(height, width))
        draw = _strokes if self.kind == "strokes" else _boxes
        unknown = np.zeros((height, width), dtype=bool)
        for _ in range(1000):
            if unknown.mean() >= self.fraction:
                break
            unknown |= draw(rng, height, width)
        return torch.from_numpy(~unknown).float()


def _boxes(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    box_h, box_w = (max(1, int(rng.uniform(0.1, 0.4) * side)) for side in (height, width))
    top, left = rng.integers(0, height - box_h + 1), rng.integers(0, width - box_w + 1)
    mask = np.zeros((height, width), dtype=bool)
    mask[top:top + box_h, left:left + box_w] = True
    return mask


def _strokes(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (width, height), 0)
    pen = ImageDraw.Draw(canvas)
    size = min(height, width)
    brush = max(1, int(rng.uniform(0.06, 0.15) * size))
    x, y = rng.uniform(0, width), rng.uniform(0, height)
    for _ in range(int(rng.integers(2, 6))):
        angle, length = rng.uniform(0, 2 * math.pi), rng.uniform(0.15, 0.5) * size
        nx = float(np.clip(x + length * math.cos(angle), 0, width - 1))
        ny = float(np.clip(y + length * math.sin(angle), 0, height - 1))
        pen.line([(x, y), (nx, ny)], fill=255, width=brush)
        pen.ellipse([nx - brush / 2, ny - brush / 2, nx + brush / 2, ny + brush / 2], fill=255)
        x, y = nx, ny
    return np.asarray(canvas) > 0
