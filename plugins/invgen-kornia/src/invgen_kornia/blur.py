"""Blur forward models: a fixed, normalised kernel applied with kornia's ``filter2d`` (same-size output).

Border handling (``border``): ``reflect`` mirrors about the edge pixel (d c b | a b c d,
``scipy.ndimage`` mode ``mirror``), ``replicate`` repeats it (``nearest``), ``circular``
wraps (``wrap``), ``zeros`` pads with 0 (``constant``).
"""

from __future__ import annotations

import math
from pathlib import Path

import kornia
import numpy as np
import torch
from torch import Tensor

from invgen.plugin import Convolution, ForwardModel, InputError, Shape, load_array

BORDERS = {"reflect": "reflect", "replicate": "replicate", "circular": "circular", "zeros": "constant"}


class KernelBlur(ForwardModel, Convolution):
    """Convolution of every channel with one 2-D kernel ``[kh, kw]`` (normalised to sum 1)."""

    def __init__(self, kernel: Tensor, border: str = "reflect", source: str = "the kernel") -> None:
        super().__init__()
        if border not in BORDERS:
            raise ValueError(f"border must be one of {'|'.join(BORDERS)}, not {border!r}")
        self.border = border
        self.register_buffer("kernel", check_kernel(kernel, source))

    def forward(self, x: Tensor) -> Tensor:
        return kornia.filters.filter2d(x, self.kernel.to(x)[None], border_type=BORDERS[self.border])

    def point_spread_function(self) -> Tensor:
        return self.kernel

    def output_shape(self, input_shape: Shape) -> Shape:
        _, height, width = input_shape
        kh, kw = self.kernel.shape
        if kh > 2 * height + 1 or kw > 2 * width + 1:  # no part of the image sees such a kernel's edges
            raise ValueError(f"a {kh}x{kw} kernel is more than twice the size of {height}x{width} images")
        if self.border != "zeros" and (kh // 2 >= height or kw // 2 >= width):
            raise ValueError(f"a {kh}x{kw} kernel is too large for {height}x{width} images with border={self.border}")
        return tuple(input_shape)  # type: ignore[return-value]


def check_kernel(kernel: Tensor, source: str) -> Tensor:
    """A finite, non-negative, non-zero 2-D kernel normalised to sum 1, or a one-line ValueError."""
    kernel = torch.as_tensor(kernel, dtype=torch.float64)
    if kernel.dim() != 2 or kernel.numel() == 0:
        raise ValueError(f"{source} must be a non-empty 2-D array, got shape {tuple(kernel.shape)}")
    if not torch.isfinite(kernel).all():
        raise ValueError(f"{source} holds NaN or infinite values")
    if (kernel < 0).any():
        raise ValueError(f"{source} has negative values (a blur kernel must be non-negative)")
    if kernel.sum() <= 0:
        raise ValueError(f"{source} is all zeros")
    return (kernel / kernel.sum()).float()


class GaussianBlur(KernelBlur):
    """Gaussian blur of standard deviation ``sigma`` pixels; ``size`` defaults to 2*ceil(3*sigma)+1."""

    def __init__(self, sigma: float, size: int | None = None, border: str = "reflect") -> None:
        size = size if size is not None else 2 * math.ceil(3 * sigma) + 1
        if size % 2 == 0:
            raise ValueError(f"size must be odd, not {size}")
        taps = kornia.filters.get_gaussian_kernel1d(size, sigma, dtype=torch.float64)[0]
        super().__init__(taps[:, None] * taps[None, :], border)


class MotionBlur(KernelBlur):
    """Linear motion blur over ``length`` pixels (odd) at ``angle`` degrees (kornia's motion kernel)."""

    def __init__(self, length: int, angle: float = 0.0, border: str = "reflect") -> None:
        if length % 2 == 0:
            raise ValueError(f"length must be odd, not {length}")
        kernel = kornia.filters.get_motion_kernel2d(length, angle, 0.0)[0]
        super().__init__(kernel, border)


class BoxBlur(KernelBlur):
    """Mean over a ``size x size`` window (odd ``size``)."""

    def __init__(self, size: int, border: str = "reflect") -> None:
        if size % 2 == 0:
            raise ValueError(f"size must be odd, not {size}")
        super().__init__(torch.ones(size, size), border)


class Defocus(KernelBlur):
    """Out-of-focus blur: a uniform disk of ``radius`` pixels (pixel centres within the radius)."""

    def __init__(self, radius: float, border: str = "reflect") -> None:
        half = math.ceil(radius)
        grid = torch.arange(-half, half + 1, dtype=torch.float64)
        disk = (grid[:, None] ** 2 + grid[None, :] ** 2 <= radius**2 + 1e-9).double()
        super().__init__(disk, border)


class FileKernel(KernelBlur):
    """A user kernel from ``.npy`` or a greyscale image file, normalised to sum 1."""

    def __init__(self, path: str, border: str = "reflect") -> None:
        super().__init__(read_kernel(Path(path)), border, source=f"{path}: the kernel")


def read_kernel(path: Path) -> Tensor:
    if not path.is_file():
        raise InputError(f"{path}: no such kernel file")
    if path.suffix.lower() == ".npy":
        return torch.from_numpy(np.asarray(load_array(path, "kernel"), dtype=np.float64))
    from invgen.plugin import load_image

    return (load_image(path, channels=1)[0, 0].double() + 1) / 2
