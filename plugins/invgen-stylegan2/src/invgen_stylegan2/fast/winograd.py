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
convolution, about four times the direct one's error.

The tile transforms are memory passes: as PyTorch operations (a gather and two small batched
products) they cost as much as the products at 128 channels, so this pays from 256 channels;
with the plugin's C kernels (:mod:`invgen_stylegan2.fast.native`: one pass each, when a C compiler is
there) it pays from 128 (docs/performance.md).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from invgen_stylegan2.fast import native

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
    """``F.conv2d(x, weight, padding=1)`` for ``transformed = transform_weight(weight)``; channels-last out, in
    ``x``'s dtype. A bfloat16 ``x`` is convolved in ``transformed``'s float32: read and written as bfloat16 by
    the C kernels, cast around the PyTorch transforms otherwise."""
    out_channels = transformed.shape[0] // (TILE * TILE)
    cpu = x.device.type == transformed.device.type == "cpu"
    native_dtype = x.dtype in (torch.float32, torch.bfloat16) and transformed.dtype == torch.float32
    if cpu and native_dtype and _plain(x) and native_transforms(x.shape[1], out_channels):
        return _conv3x3_native(x, transformed)
    return _conv3x3_torch(x.to(transformed.dtype), transformed).to(x.dtype)


def _plain(x: Tensor) -> bool:
    """Whether ``x`` is CPU memory the C kernels can read: not a subclass (fake tensors), not under a functorch
    transform, not traced by torch.compile; those take the PyTorch transforms, which compile can follow."""
    return type(x) is torch.Tensor and _unbatched(x) and not torch.compiler.is_compiling()


def native_transforms(in_channels: int, out_channels: int) -> bool:
    """Whether :func:`conv3x3` transforms tiles by the C kernels (built, and channels in multiples of 16)."""
    return in_channels % 16 == 0 and out_channels % 16 == 0 and native.library() is not None


def _conv3x3_native(x: Tensor, transformed: Tensor) -> Tensor:
    """:func:`conv3x3` with each tile transform one C pass over memory (:mod:`invgen_stylegan2.fast.native`)."""
    kernels, threads = native.library(), native.threads()
    n, channels, height, width = x.shape
    out_channels = transformed.shape[0] // (TILE * TILE)
    x = x.contiguous(memory_format=torch.channels_last)
    bf16 = int(x.dtype == torch.bfloat16)
    count = n * -(-height // OUTPUT_TILE) * -(-width // OUTPUT_TILE)
    tiles = torch.empty(count, TILE * TILE, channels)
    _checked(kernels.winograd_input_tiles(x.data_ptr(), tiles.data_ptr(), n, height, width, channels, threads, bf16))
    v = tiles.view(1, count, 1, TILE * TILE * channels).permute(0, 3, 1, 2)  # [1, 36 C, tiles, 1], channels-last
    with torch.autocast("cpu", enabled=False):  # the products in float32 under a bfloat16 autocast too
        products = F.conv2d(v, transformed, groups=TILE * TILE).contiguous(memory_format=torch.channels_last)
    y = torch.empty(n, out_channels, height, width, dtype=x.dtype, memory_format=torch.channels_last)
    _checked(kernels.winograd_output_blocks(products.data_ptr(), y.data_ptr(), n, height, width, out_channels,
                                            threads, bf16))
    return y


def _checked(code: int) -> None:
    if code != 0:  # only for channel counts native_transforms() turns away
        raise RuntimeError(f"a Winograd C kernel refused its input (code {code})")


def _conv3x3_torch(x: Tensor, transformed: Tensor) -> Tensor:
    """:func:`conv3x3` in PyTorch operations: tiles gathered, then transformed by two batched products."""
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
    """``F.conv2d(x, weight, padding=1)`` by :func:`conv3x3`, with its gradient to the input, which is the same
    convolution of the output's gradient with the flipped, transposed weight (``transformed =
    transform_weight(weight)``, ``flipped = transform_weight(weight.flip(2, 3).transpose(0, 1))``). The weight
    gets no gradient: it is frozen. Under vmap (``torch.vmap``, or batched gradients such as a Jacobian's),
    which cannot follow the tiles' strided views, both directions are the direct convolution."""

    generate_vmap_rule = True  # torch.vmap runs forward and backward on batched tensors: the direct branches

    @staticmethod
    def forward(x: Tensor, weight: Tensor, transformed: Tensor, flipped: Tensor) -> Tensor:
        return conv3x3(x, transformed) if _unbatched(x) else F.conv2d(x, weight, padding=1)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        _, weight, _, flipped = inputs
        ctx.save_for_backward(weight, flipped)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, None, None, None]:
        weight, flipped = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        grad = conv3x3(grad, flipped) if _unbatched(grad) else F.conv_transpose2d(grad, weight, padding=1)
        return grad, None, None, None


def _unbatched(x: Tensor) -> bool:
    """A CPU tensor under no vmap: neither wrapped by a functorch transform (``torch.vmap``, ``torch.func.grad``)
    nor batched by the batched gradients' older vmap (whose tensors have no CPU dispatch key)."""
    return (torch._C._dispatch_keys(x).has(torch._C.DispatchKey.CPU)
            and not torch._C._functorch.is_functorch_wrapped_tensor(x))
