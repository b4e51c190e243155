"""Image grids as PNG bytes (samples, training snapshots)."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def grid_png(images: Tensor, columns: int | None = None, padding: int = 2, min_tile: int = 0) -> bytes:
    """Tile ``[N, C, H, W]`` images in [-1, 1] into one PNG (white padding).

    Tiles narrower than ``min_tile`` pixels are enlarged by the largest whole factor that keeps them
    within it (nearest neighbour, so pixels stay visible as pixels): a grid of 32-px digits is
    otherwise too small to look at."""
    from invgen.io.images import png_bytes

    factor = max(1, min_tile // images.shape[-1])
    if factor > 1:
        images = images.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)
    count, channels, height, width = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    canvas = torch.ones(channels, rows * (height + padding) + padding, columns * (width + padding) + padding)
    for index, image in enumerate(images.detach().cpu().float()):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        canvas[:, top:top + height, left:left + width] = image.clamp(-1, 1)
    return png_bytes(canvas)
