"""Low-level StyleGAN2 operations in plain PyTorch: FIR resampling, biased activations.

Conventions follow the StyleGAN2 papers and NVIDIA's checkpoints (a 2-D, sum-one FIR filter
built from the taps [1, 3, 3, 1]; up-sampling by zero insertion then filtering with gain
``up**2``), so that stored weights produce the same images. Written for this project.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)


def setup_filter(taps: Sequence[float] = (1, 3, 3, 1)) -> Tensor:
    """The separable 2-D low-pass filter (outer product of ``taps``), normalised to sum 1; made on the CPU even
    under a ``torch.device`` context (a network laid out on the meta device needs no meta operations)."""
    taps_t = torch.as_tensor(taps, dtype=torch.float32, device="cpu")
    kernel = taps_t[:, None] * taps_t[None, :] if taps_t.dim() == 1 else taps_t
    return kernel / kernel.sum()


def fir(x: Tensor, kernel: Tensor, pad: tuple[int, int, int, int], gain: float = 1.0) -> Tensor:
    """Pad (negative = crop) by ``(left, right, top, bottom)``, then convolve every channel with ``kernel``."""
    left, right, top, bottom = pad
    x = F.pad(x, [max(left, 0), max(right, 0), max(top, 0), max(bottom, 0)])
    x = x[:, :, max(-top, 0): x.shape[2] - max(-bottom, 0), max(-left, 0): x.shape[3] - max(-right, 0)]
    channels = x.shape[1]
    weight = (kernel.flip([0, 1]) * gain).to(x.dtype)[None, None].expand(channels, 1, -1, -1)
    return F.conv2d(x, weight, groups=channels)


def zero_insert(x: Tensor, factor: int) -> Tensor:
    """Up-sample by placing each pixel at the top-left of a ``factor x factor`` cell of zeros."""
    batch, channels, height, width = x.shape
    x = x.reshape(batch, channels, height, 1, width, 1)
    x = F.pad(x, [0, factor - 1, 0, 0, 0, factor - 1])
    return x.reshape(batch, channels, height * factor, width * factor)


def upsample2d(x: Tensor, kernel: Tensor, factor: int = 2) -> Tensor:
    """Up-sample by ``factor`` with the FIR ``kernel`` (output ``factor`` times larger)."""
    size = kernel.shape[-1]
    before, after = (size + factor - 1) // 2, (size - factor) // 2
    return fir(zero_insert(x, factor), kernel, (before, after, before, after), gain=factor**2)


def downsample2d(x: Tensor, kernel: Tensor, factor: int = 2) -> Tensor:
    """Low-pass with the FIR ``kernel`` then keep every ``factor``-th pixel."""
    size = kernel.shape[-1]
    before, after = (size - factor + 1) // 2, (size - factor) // 2
    return fir(x, kernel, (before, after, before, after))[:, :, ::factor, ::factor]


def conv2d_up2(x: Tensor, weight: Tensor, kernel: Tensor) -> Tensor:
    """A ``k x k`` convolution on the 2x up-sampled input: a stride-2 transposed conv, then the FIR filter.

    ``weight`` is ``[out, in, k, k]`` (correlation layout, as in the checkpoints); padding
    ``k // 2`` with respect to the up-sampled image, so the output is exactly 2x the input.
    """
    k = weight.shape[-1]
    size = kernel.shape[-1]
    before = k // 2 + (size + 1) // 2 - (k - 1)
    after = k // 2 + (size - 2) // 2 - (k - 2)
    trim = max(min(-before, -after), 0)
    x = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2, padding=trim)
    return fir(x, kernel, (before + trim, after + trim, before + trim, after + trim), gain=4.0)


def conv2d_down2(x: Tensor, weight: Tensor, kernel: Tensor) -> Tensor:
    """A ``k x k`` convolution with stride 2 after the FIR low-pass (padding ``k // 2``)."""
    k = weight.shape[-1]
    size = kernel.shape[-1]
    before = k // 2 + (size - 1) // 2
    after = k // 2 + (size - 2) // 2
    if k == 1:
        return F.conv2d(fir(x, kernel, (before, after, before, after))[:, :, ::2, ::2], weight)
    return F.conv2d(fir(x, kernel, (before, after, before, after)), weight, stride=2)


def bias_act(x: Tensor, bias: Tensor | None, lrelu: bool, gain: float = 1.0, clamp: float | None = None) -> Tensor:
    """Add a per-channel bias, apply leaky ReLU (slope 0.2) if asked, scale by ``gain``, clamp to +-``clamp``."""
    if bias is not None:
        x = x + bias.to(x.dtype).reshape(1, -1, *([1] * (x.dim() - 2)))
    if lrelu:
        x = F.leaky_relu(x, LRELU_SLOPE)
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return x


def normalize_2nd_moment(x: Tensor, eps: float = 1e-8) -> Tensor:
    """Scale each row to unit mean square (the mapping network's input normalisation)."""
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()
