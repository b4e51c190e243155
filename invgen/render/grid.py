"""Image grids as PNG bytes (samples, training snapshots)."""

from __future__ import annotations

import io
import math
from typing import Sequence

import torch
from torch import Tensor

LABEL_HEIGHT = 14  # pixels under each tile for its label


def grid_png(images: Tensor, columns: int | None = None, padding: int = 2, min_tile: int = 0,
             labels: Sequence[str] | None = None) -> bytes:
    """Tile ``[N, C, H, W]`` images in [-1, 1] into one PNG (white padding), each tile with its text from
    ``labels`` (one per image, e.g. a mode's probability) under it when given.

    Tiles narrower than ``min_tile`` pixels are enlarged by the largest whole factor that keeps them
    within it (nearest neighbour, so pixels stay visible as pixels): a grid of 32-px digits is
    otherwise too small to look at."""
    from invgen.io.images import png_bytes

    if labels is not None and len(labels) != len(images):
        raise ValueError(f"{len(labels)} labels for {len(images)} images")

    factor = max(1, min_tile // images.shape[-1])
    if factor > 1:
        images = images.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)
    count, channels, height, width = images.shape
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    row_height = height + padding + (LABEL_HEIGHT if labels is not None else 0)
    canvas = torch.ones(channels, rows * row_height + padding, columns * (width + padding) + padding)
    for index, image in enumerate(images.detach().cpu().float()):
        top = padding + (index // columns) * row_height
        left = padding + (index % columns) * (width + padding)
        canvas[:, top:top + height, left:left + width] = image.clamp(-1, 1)
    if labels is None:
        return png_bytes(canvas)
    return _labelled(png_bytes(canvas), labels, columns, row_height, width, height, padding)


def _labelled(png: bytes, labels: Sequence[str], columns: int, row_height: int, width: int, height: int,
              padding: int) -> bytes:
    """The grid ``png`` with each label written (black, PIL's default font) in the strip under its tile."""
    from PIL import Image, ImageDraw

    picture = Image.open(io.BytesIO(png)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for index, text in enumerate(labels):
        top = padding + (index // columns) * row_height + height + 1
        left = padding + (index % columns) * (width + padding)
        draw.text((left + 1, top), text, fill=(0, 0, 0))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()
