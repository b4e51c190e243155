"""3x3 convolution by Winograd's minimal filtering F(4x4, 3x3), for frozen weights on the CPU.

On the CPU the synthesis step at 256 px is bound by its 3x3 convolutions, which oneDNN's
direct algorithm already runs near the cores' arithmetic peak. Winograd's F(4x4, 3x3) (Lavin
and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016) computes each 4x4 block
of output from a 6x6 tile of input with 36 multiplications per channel pair instead of 144:

    Y = A^T [ (G w G^T) * (B^T d B) ] A

summed over input channels, the bracket an elementwise product. Here the tiles are gathered
channels-last as ``[tiles, 36, C]``, transformed by one batched product with ``B^T (x) B^T``,
multiplied position by position with the transformed weights (the 36 products are one
grouped 1x1 convolution, which reads exactly that layout) and transformed back by
``A^T (x) A^T``. In float32 the result is within about 5e-6 (relative) of the exact
convolution, about four times the direct one's error; it pays from 256 channels and 32 px on
(docs/performance.md).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

OUTPUT_TILE = 4
TILE = OUTPUT_TILE + 2

# Interpolation points 0, 1, -1, 2, -2 and infinity (Lavin and Gray 2016, F(4x4, 3x3)).
_BT = ((4, 0, -5, 0, 1, 0), (0, -4, -4, 1, 1, 0), (0, 4, -4, -1, 1, 0),
       (0, -2, -1, 2, 1, 0), (0, 2, -1, -2, 1, 0), (0, 4, 0, -5, 0, 1))
_G = ((1 / 4, 0, 0), (-1 / 6, -1 / 6, -1 / 6), (-1 / 6, 1 / 6, -1 / 6),
      (1 / 24, 1 / 12, 1 / 6), (1 / 24, -1 / 12, 1 / 6), (0, 0, 1))
_AT = ((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1))


@functools.lru_cache(maxsize=None)
def _tile_transforms(dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """``B^T (x) B^T`` [36, 36] (input tiles) and ``A^T (x) A^T`` [16, 36] (output blocks) in ``dtype``."""
    bt = torch.tensor(_BT, dtype=torch.float64)
    at = torch.tensor(_AT, dtype=torch.float64)
    return torch.kron(bt, bt).to(dtype), torch.kron(at, at).to(dtype)


def transform_weight(weight: Tensor) -> Tensor:
    """``G w G^T`` of every output-input pair of ``weight [O, I, 3, 3]`` (in float64, then the weight's dtype),
    laid out as the grouped 1x1 convolution's ``[36 * O, I, 1, 1]`` (position-major)."""
    g = torch.tensor(_G, dtype=torch.float64, device=weight.device)
    transformed = g @ weight.detach().double() @ g.T  # [O, I, 6, 6]
    out_channels, in_channels = weight.shape[:2]
    return transformed.permute(2, 3, 0, 1).reshape(TILE * TILE * out_channels, in_channels, 1, 1).to(weight.dtype)


def conv3x3(x: Tensor, transformed: Tensor) -> Tensor:
    """``F.conv2d(x, weight, padding=1)`` for ``transformed = transform_weight(weight)``; channels-last out."""
    n, channels, height, width = x.shape
    out_channels = transformed.shape[0] // (TILE * TILE)
    tiles_h, tiles_w = -(-height // OUTPUT_TILE), -(-width // OUTPUT_TILE)
    pad_w, pad_h = tiles_w * OUTPUT_TILE + 1 - width, tiles_h * OUTPUT_TILE + 1 - height
    padded = F.pad(x, (1, pad_w, 1, pad_h)).permute(0, 2, 3, 1).contiguous()  # NHWC
    rows, cols = padded.shape[1:3]
    step = OUTPUT_TILE
    tiles = padded.as_strided((n, tiles_h, tiles_w, TILE, TILE, channels),
                              (rows * cols * channels, step * cols * channels, step * channels, cols * channels,
                               channels, 1))
    to_tiles, to_blocks = _tile_transforms(x.dtype)
    v = torch.matmul(to_tiles, tiles.reshape(-1, TILE * TILE, channels))  # [tiles, 36, C]
    v = v.reshape(1, -1, 1, TILE * TILE * channels).permute(0, 3, 1, 2)  # the same memory, [1, 36 C, tiles, 1]
    products = F.conv2d(v, transformed, groups=TILE * TILE)  # channels-last [1, 36 O, tiles, 1]
    blocks = torch.matmul(to_blocks, products.permute(0, 2, 3, 1).reshape(-1, TILE * TILE, out_channels))
    y = blocks.reshape(n, tiles_h, tiles_w, OUTPUT_TILE, OUTPUT_TILE, out_channels).permute(0, 1, 3, 2, 4, 5)
    y = y.reshape(n, tiles_h * OUTPUT_TILE, tiles_w * OUTPUT_TILE, out_channels)[:, :height, :width]
    return y.permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)


class FrozenConv3x3(torch.autograd.Function):
    """:func:`conv3x3` with its gradient to the input, which is the same convolution of the output's gradient
    with the flipped, transposed weight (``flipped = transform_weight(weight.flip(2, 3).transpose(0, 1))``).
    The weight gets no gradient: it is frozen."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, transformed: Tensor, flipped: Tensor) -> Tensor:
        ctx.save_for_backward(flipped)
        return conv3x3(x, transformed)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, None, None]:
        (flipped,) = ctx.saved_tensors
        return (conv3x3(grad, flipped) if ctx.needs_input_grad[0] else None), None, None
