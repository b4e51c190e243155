"""The k-space forward model: an orthonormal 2-D FFT of the image (through each receive coil's sensitivity),
undersampled along the phase-encode axis (columns) or in both (2-D masks).

Layout (used throughout the plugin, and by k-space ``.npy`` inputs): for an image ``[B, C, H, W]`` seen by
``N`` coils the observation is ``[B, 2CN, H, W]`` real: for each image channel, for each coil, the ``(Re, Im)``
pair of the *centred* k-space ``fftshift(fft2(S_c x, norm="ortho"))`` (the zero frequency at
``[H // 2, W // 2]``), with the unsampled positions set to 0. One coil without maps is ``S = 1``: ``[B, 2C, H, W]``.
These are data, not images: their values are not in [-1, 1].

What the coils see is the image itself (``image=signed``: simulations in the generator's [-1, 1]), or the
image read as a magnitude in [0, 1] (``image=magnitude``: ``(x + 1) / 2``, black is no signal, as in acquired
MRI, whose k-space is then scaled so that the image's brightest magnitude is 1).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from invgen.plugin import ForwardModel, Shape
from invgen_mri.coils import birdcage, read_maps
from invgen_mri.masks2d import poisson_disc, variable_density
from invgen_mri.sampling import line_mask, read_mask

SAMPLINGS = ("lines", "variable-density", "poisson")
IMAGES = ("signed", "magnitude")
CG_ITERATIONS = 60
CG_DAMPING = 1e-6  # a little Tikhonov damping keeps CG stable where no coil sees the image


def to_kspace(x: Tensor) -> Tensor:
    """Centred orthonormal k-space of images ``[B, C, H, W]`` (real, or complex coil images): complex."""
    if not x.is_complex() and x.dtype not in (torch.float32, torch.float64):
        x = x.float()  # the FFT has no bfloat16 kernels: autocast's output comes back to float32 here
    return torch.fft.fftshift(torch.fft.fft2(x, norm="ortho"), dim=(-2, -1))


def complex_image(k: Tensor) -> Tensor:
    """The inverse centred orthonormal FFT: complex ``[..., H, W]`` k-space -> complex images."""
    return torch.fft.ifft2(torch.fft.ifftshift(k, dim=(-2, -1)), norm="ortho")


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
    """``y_c = M F (S_c x)`` for each of ``coils`` receive coils: F the centred orthonormal 2-D FFT, S_c the
    coil's sensitivity (``maps``: ``birdcage`` simulated, or ``file`` read from ``maps_file``, a ``.npy``; one
    coil without a maps file is S = 1), M
    the sampling with acceleration ``R`` and a fully sampled ``center`` fraction: Cartesian columns
    (``sampling=lines``, ``pattern`` random or equispaced), or 2-D ``variable-density`` random or ``poisson``
    disc (seeded), or a ``mask`` file; plus optional complex Gaussian noise of std ``noise`` on each of the real
    and imaginary parts of every coil's samples (:meth:`simulate`). ``image``: what the coils see (module
    docstring)."""

    def __init__(self, R: float = 4.0, center: float = 0.08, pattern: str = "random", seed: int = 0,
                 mask: str | None = None, noise: float = 0.0, coils: int = 1, maps: str = "birdcage",
                 maps_file: str | None = None, sampling: str = "lines", image: str = "signed") -> None:
        super().__init__()
        if sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {'|'.join(SAMPLINGS)}, not {sampling!r}")
        if image not in IMAGES:
            raise ValueError(f"image must be one of {'|'.join(IMAGES)}, not {image!r}")
        self.magnitude = image == "magnitude"
        self.acceleration, self.center, self.pattern, self.seed = R, center, pattern, seed
        self.file_mask = None if mask is None else read_mask(Path(mask))
        self.noise, self.coils, self.kind = noise, coils, sampling
        if (maps == "file") != (maps_file is not None):
            raise ValueError("coil maps from a file: give maps=file with maps_file=FILE.npy (maps_file alone, or "
                             "maps=file alone, is not enough)")
        self.file_maps = None if maps_file is None else read_maps(Path(maps_file), coils)
        self.maps_source = None if coils == 1 and maps_file is None else maps
        self._cache: dict[tuple[str, int, int], Tensor] = {}
        if self.file_mask is None:
            self._pattern(64, 64)  # refuse impossible settings when built, not at the first step

    def _pattern(self, height: int, width: int) -> Tensor:
        if self.kind == "lines":
            return line_mask(width, self.acceleration, self.center, self.pattern, self.seed).expand(height, -1)
        make = variable_density if self.kind == "variable-density" else poisson_disc
        return make(height, width, self.acceleration, self.center, self.seed)

    def sampling(self, height: int, width: int) -> Tensor:
        """``[H, W]`` float mask of the acquired k-space samples (made once per size)."""
        key = ("mask", height, width)
        if key not in self._cache:
            if self.file_mask is None:
                self._cache[key] = self._pattern(height, width).float()
            else:
                mask = self.file_mask if self.file_mask.dim() == 2 else self.file_mask.expand(height, -1)
                if tuple(mask.shape) != (height, width):
                    raise ValueError(f"the k-space mask file is {tuple(self.file_mask.shape)} but the images are "
                                     f"{height}x{width}; give a [{height}, {width}] or [{width}] mask")
                self._cache[key] = mask.float()
        return self._cache[key]

    def sensitivities(self, height: int, width: int) -> Tensor | None:
        """Complex ``[coils, H, W]`` sensitivity maps, or None for one coil without maps (S = 1)."""
        if self.maps_source is None:
            return None
        key = ("maps", height, width)
        if key not in self._cache:
            if self.file_maps is None:
                self._cache[key] = birdcage(self.coils, height, width)
            elif tuple(self.file_maps.shape[-2:]) != (height, width):
                raise ValueError(f"the coil maps file is {list(self.file_maps.shape)} but the images are "
                                 f"{height}x{width}; give [{self.coils}, {height}, {width}] maps")
            else:
                self._cache[key] = self.file_maps
        return self._cache[key]

    def coil_images(self, x: Tensor) -> Tensor:
        """``S_c x`` for every coil: complex ``[B, C * coils, H, W]`` (``x`` itself for one coil without maps)."""
        maps = self.sensitivities(*x.shape[-2:])
        if maps is None:
            return x
        double = x.dtype == torch.float64
        maps = maps.to(x.device, torch.complex128 if double else torch.complex64)
        return (x.to(torch.float64 if double else torch.float32)[:, :, None] * maps).flatten(1, 2)

    def signal(self, x: Tensor) -> Tensor:
        """What the coils see of images ``x`` in [-1, 1]: ``x``, or its magnitude ``(x + 1) / 2``."""
        return (x + 1) / 2 if self.magnitude else x

    def image_of(self, signal: Tensor) -> Tensor:
        """The image in [-1, 1] (unclipped) of a signal :meth:`signal` made."""
        return signal * 2 - 1 if self.magnitude else signal

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(self.signal(x))

    def linear(self, signal: Tensor) -> Tensor:
        """``M F S_c`` of a signal ``[B, C, H, W]``: the acquired samples ``[B, 2CN, H, W]``."""
        k = to_kspace(self.coil_images(signal))
        mask = self.sampling(*signal.shape[-2:]).to(k.device)
        return as_channels(k * mask)

    def adjoint(self, y: Tensor) -> Tensor:
        """``Re(sum_c conj(S_c) F^H M^T y_c)``: signals ``[B, C, H, W]`` from k-space data ``[B, 2CN, H, W]``; for
        a noise-free observation it is the zero-filled (coil-combined) signal, and it is the adjoint of
        :meth:`linear` on reals (of :meth:`forward` for ``image=signed``)."""
        height, width = y.shape[-2:]
        k = as_complex(y) * self.sampling(height, width).to(y.device)
        maps = self.sensitivities(height, width)
        if maps is None:
            return complex_image(k).real
        images = complex_image(k).unflatten(1, (-1, self.coils))
        return (images * maps.to(images.device, images.dtype).conj()).sum(2).real

    def least_squares(self, y: Tensor, iterations: int = CG_ITERATIONS, damping: float = CG_DAMPING,
                      noise: float = 0.0) -> Tensor:
        """The real image x whose signal s minimises ``||A s - y||^2 + damping ||s||^2`` (A :meth:`linear`), by
        conjugate gradients on the normal equations from s = 0 (so, undamped, the least-norm solution): SENSE
        for several coils, in float64, returned in ``y``'s dtype. With a ``noise`` std, each observation's
        iterations stop by the discrepancy principle, once ``||A s - y||^2`` is down to what the noise alone
        leaves (the number of acquired values times its variance): further steps would fit the noise."""
        return self.image_of(self._solve(y, iterations, damping, noise))

    def _solve(self, y: Tensor, iterations: int = CG_ITERATIONS, damping: float = CG_DAMPING,
               noise: float = 0.0) -> Tensor:
        """The signal of :meth:`least_squares`."""
        values = y.double()
        floor = noise**2 * self.acquired_values(y)
        fitting = torch.ones(y.shape[0], 1, 1, 1, dtype=torch.float64, device=y.device)
        right = self.adjoint(values)
        x = torch.zeros_like(right)
        residual = right.clone()
        direction = residual.clone()
        power = _dot(residual, residual)
        for _ in range(iterations):
            applied = self.adjoint(self.linear(direction)) + damping * direction
            step = fitting * power / _dot(direction, applied).clamp_min(1e-300)
            x = x + step * direction
            if noise:
                misfit = self.linear(x) - values
                fitting = fitting * (_dot(misfit, misfit) > floor)
                if not bool(fitting.any()):
                    break
            residual = residual - step * applied
            new_power = _dot(residual, residual)
            if bool((new_power.sqrt() <= 1e-10 * _dot(right, right).sqrt()).all()):
                break
            direction = residual + (new_power / power.clamp_min(1e-300)) * direction
            power = new_power
        return x.to(y.dtype)

    def acquired_values(self, y: Tensor) -> int:
        """How many real values of an observation ``[B, 2CN, H, W]`` are acquired (the mask's samples, each a Re
        and an Im on every channel and coil)."""
        return int(self.sampling(*y.shape[-2:]).sum().item()) * y.shape[1]

    def pseudo_inverse(self, y: Tensor, input_shape: Shape) -> Tensor:
        """A⁺y by :meth:`least_squares` (``--consistency project``: the reconstruction's k-space made to agree
        with the acquired samples in the least-squares sense, the generator's image kept where the data say
        nothing): the signal's least-squares answer, in image units."""
        return self._solve(y) * (2 if self.magnitude else 1)

    def output_shape(self, input_shape: Shape) -> Shape:
        channels, height, width = input_shape
        self.sampling(height, width)
        self.sensitivities(height, width)
        return (2 * channels * self.coils, height, width)

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


def _dot(a: Tensor, b: Tensor) -> Tensor:
    """Per-observation inner products, shaped to broadcast over ``[B, C, H, W]``."""
    return (a * b).flatten(1).sum(1).view(-1, 1, 1, 1)
