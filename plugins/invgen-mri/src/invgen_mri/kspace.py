"""The k-space forward model: an orthonormal 2-D FFT of the image, undersampled along the phase-encode axis.

Layout (used throughout the plugin, and by k-space ``.npy`` inputs): for an image ``[B, C, H, W]``
the observation is ``[B, 2C, H, W]`` real, channels ``(Re, Im)`` of each image channel in turn, of
the *centred* k-space ``fftshift(fft2(x, norm="ortho"))`` (the zero frequency at ``[H // 2, W // 2]``),
with the unsampled columns set to 0. These are data, not images: their values are not in [-1, 1].
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from invgen.plugin import ForwardModel, Shape
from invgen_mri.sampling import line_mask, read_mask


def to_kspace(x: Tensor) -> Tensor:
    """Centred orthonormal k-space of real images ``[B, C, H, W]``: complex ``[B, C, H, W]``."""
    if x.dtype not in (torch.float32, torch.float64):
        x = x.float()  # the FFT has no bfloat16 kernels: autocast's output comes back to float32 here
    return torch.fft.fftshift(torch.fft.fft2(x, norm="ortho"), dim=(-2, -1))


def from_kspace(k: Tensor) -> Tensor:
    """The inverse of :func:`to_kspace`: complex ``[B, C, H, W]`` -> real part of the image."""
    return torch.fft.ifft2(torch.fft.ifftshift(k, dim=(-2, -1)), norm="ortho").real


def as_channels(k: Tensor) -> Tensor:
    """Complex ``[B, C, H, W]`` -> real ``[B, 2C, H, W]`` (Re, Im of each channel)."""
    return torch.view_as_real(k).permute(0, 1, 4, 2, 3).flatten(1, 2)


def as_complex(y: Tensor) -> Tensor:
    """Real ``[B, 2C, H, W]`` (Re, Im of each channel) -> complex ``[B, C, H, W]``."""
    if y.shape[1] % 2:
        raise ValueError(f"k-space data need an even number of channels (Re, Im pairs), got {y.shape[1]}")
    pairs = y.unflatten(1, (y.shape[1] // 2, 2)).permute(0, 1, 3, 4, 2)
    return torch.view_as_complex(pairs.to(torch.float64 if y.dtype == torch.float64 else torch.float32).contiguous())


class KSpace(ForwardModel):
    """``y = M F x``: F the centred orthonormal 2-D FFT, M a Cartesian sampling of columns (phase encodes)
    with acceleration ``R`` and a fully sampled ``center`` fraction (or a ``mask`` file), plus optional complex
    Gaussian noise of std ``noise`` on each of the real and imaginary parts (:meth:`simulate`)."""

    def __init__(self, R: float = 4.0, center: float = 0.08, pattern: str = "random", seed: int = 0,
                 mask: str | None = None, noise: float = 0.0) -> None:
        super().__init__()
        self.acceleration, self.center, self.pattern, self.seed = R, center, pattern, seed
        self.file_mask = None if mask is None else read_mask(Path(mask))
        self.noise = noise
        if self.file_mask is None:
            line_mask(64, R, center, pattern, seed)  # refuse impossible settings when built, not at the first step

    def sampling(self, height: int, width: int) -> Tensor:
        """``[H, W]`` float mask of the acquired k-space samples."""
        if self.file_mask is None:
            return line_mask(width, self.acceleration, self.center, self.pattern, self.seed).float().expand(height, -1)
        mask = self.file_mask if self.file_mask.dim() == 2 else self.file_mask.expand(height, -1)
        if tuple(mask.shape) != (height, width):
            raise ValueError(f"the k-space mask file is {tuple(self.file_mask.shape)} but the images are "
                             f"{height}x{width}; give a [{height}, {width}] or [{width}] mask")
        return mask.float()

    def forward(self, x: Tensor) -> Tensor:
        k = to_kspace(x)
        mask = self.sampling(*x.shape[-2:]).to(k.device)
        return as_channels(k * mask)

    def adjoint(self, y: Tensor) -> Tensor:
        """``Re(F^H M^T y)``: images ``[B, C, H, W]`` from k-space data ``[B, 2C, H, W]``; for a noise-free
        observation it is the zero-filled reconstruction, and it is the adjoint of :meth:`forward` on reals."""
        mask = self.sampling(*y.shape[-2:]).to(y.device)
        return from_kspace(as_complex(y) * mask)

    def output_shape(self, input_shape: Shape) -> Shape:
        channels, height, width = input_shape
        self.sampling(height, width)
        return (2 * channels, height, width)

    def mask(self, input_shape: Shape) -> Tensor | None:
        _, height, width = input_shape
        return self.sampling(height, width)[None, None]

    @property
    def noise_std(self) -> float | None:
        return self.noise or None

    def default_preset(self, method: str) -> str | None:
        """MAP without named terms: the pixel likelihood (the default brgm preset's LPIPS compares images,
        and k-space data are not images). VI's default (a Gaussian likelihood and prior) suits k-space."""
        return "pixel" if method == "map" else None

    def add_noise(self, y: Tensor, rng: torch.Generator) -> Tensor:
        if not self.noise:
            return y
        return y + self.noise * torch.randn(y.shape, generator=rng, dtype=y.dtype).to(y.device)
