"""The four abstract component types: Generator, ForwardModel, Loss and Prior.

Conventions shared by all of them:

* images are float tensors ``[B, C, H, W]`` with values in [-1, 1] (conversion to and
  from files happens in :mod:`invgen.io.images`);
* latents are ``w`` of shape ``[B, L, D]``: one ``D``-vector per synthesis layer (W+);
* components are ``torch.nn.Module`` s: move them with ``.to(device, dtype)``; they must
  work on any device and in float32 and float64, and keep gradients flowing;
* a component built from a spec remembers it (:attr:`Component.spec`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from invgen.registry.params import SpecRecord

Shape = tuple[int, int, int]


class Component:
    """Mixin that gives every component its canonical spec string.

    ``spec_record`` is set by the registry on the components it builds (None for objects built
    directly in Python, whose spec is then their class name).
    """

    spec_record: SpecRecord | None = None

    @property
    def name(self) -> str:
        """The registered name (``blur``, ``pixel`` ...), or the class name in lower case."""
        return self.spec_record.name if self.spec_record is not None else type(self).__name__.lower()

    @property
    def spec(self) -> str:
        """The spec this component was built from, with default values left out."""
        return self.spec_record.text() if self.spec_record is not None else type(self).__name__

    def extra_repr(self) -> str:
        return self.spec


@dataclass(frozen=True)
class LatentStats:
    """Statistics of the generator's latent distribution, for priors and initialisation.

    Shapes: ``mean`` ``[D]``, ``std`` scalar (the std over all dimensions),
    ``std_per_dim`` ``[D]``.
    """

    mean: Tensor
    std: Tensor
    std_per_dim: Tensor

    def to(self, device: torch.device | str, dtype: torch.dtype) -> "LatentStats":
        return LatentStats(*(t.to(device=device, dtype=dtype) for t in (self.mean, self.std, self.std_per_dim)))


class Generator(Component, nn.Module, ABC):
    """A pre-trained generator G: latents ``w [B, L, D]`` -> images ``[B, C, H, W]`` in [-1, 1].

    Subclasses set ``num_layers`` (L), ``latent_dim`` (D), ``z_dim``, ``channels`` and
    ``resolution`` (square images) and implement :meth:`synthesize` and :meth:`map`. ``alignment`` names how
    its training images were cropped from photos (``"ffhq"``: FFHQ's recipe from eye and mouth landmarks), so
    that ``--align auto`` aligns photos the same way; None (the default) for images that need none.
    """

    num_layers: int
    latent_dim: int
    z_dim: int
    channels: int
    resolution: int
    stats_samples: int = 10_000
    alignment: str | None = None

    @property
    def latent_shape(self) -> tuple[int, int]:
        """``(L, D)``: the shape of one W+ latent."""
        return (self.num_layers, self.latent_dim)

    @property
    def image_shape(self) -> Shape:
        """``(C, H, W)``: the shape of one generated image."""
        return (self.channels, self.resolution, self.resolution)

    @abstractmethod
    def synthesize(self, w: Tensor) -> Tensor:
        """Images ``[B, C, H, W]`` (about [-1, 1], not clamped) from latents ``[B, L, D]``."""

    @abstractmethod
    def map(self, z: Tensor, truncation: float = 1.0) -> Tensor:
        """W+ latents ``[B, L, D]`` from Gaussian ``z [B, z_dim]``; ``truncation < 1`` pulls towards the mean."""

    def forward(self, w: Tensor) -> Tensor:
        return self.synthesize(w)

    def latent_stats(self) -> LatentStats:
        """Mean and spread of ``map(z)`` over ``stats_samples`` z drawn with a fixed seed (cached)."""
        cached = getattr(self, "_latent_stats", None)
        if cached is None:
            cached = self.compute_latent_stats()
            object.__setattr__(self, "_latent_stats", cached)
        return cached

    @torch.no_grad()
    def compute_latent_stats(self) -> LatentStats:
        """Estimate :class:`LatentStats` from samples; subclasses may override with a disk cache."""
        reference = next(self.parameters(), torch.zeros(()))
        rng = torch.Generator().manual_seed(0)
        z = torch.randn(self.stats_samples, self.z_dim, generator=rng).to(reference)
        w = torch.cat([self.map(chunk)[:, 0] for chunk in z.split(1000)])
        return LatentStats(w.mean(0), w.std(), w.std(0))

    def initial_latent(self, batch: int) -> Tensor:
        """The mean latent tiled to ``[batch, L, D]``: the usual starting point of an inversion."""
        stats = self.latent_stats()
        return stats.mean.view(1, 1, -1).expand(batch, self.num_layers, -1).clone()


class ForwardModel(Component, nn.Module, ABC):
    """A known corruption f: clean images ``[B, C, H, W]`` -> observations ``[B, C', H', W']``.

    :meth:`forward` is the differentiable, noise-free operator used inside the objective;
    :meth:`simulate` also draws the noise model, to make synthetic observations.

    Value contract: observations are data, not images. They are float tensors in the units the
    operator gives (an image operator keeps [-1, 1] only up to its noise; k-space values are far
    outside it) and nothing clips them: files keep them (``.npz``), and data terms compare them as
    they are. Channels other than 1 or 3 (e.g. (Re, Im) pairs) are data that image-only terms
    such as LPIPS refuse.
    """

    @abstractmethod
    def forward(self, x: Tensor) -> Tensor:
        """Apply the operator to images ``[B, C, H, W]``; keep dtype and device."""

    def output_shape(self, input_shape: Shape) -> Shape:
        """``(C', H', W')`` of the observation of an image of ``input_shape``; raise ValueError if unsupported."""
        return tuple(input_shape)  # type: ignore[return-value]

    def mask(self, input_shape: Shape) -> Tensor | None:
        """Known pixels of the observation, ``[1, 1, H', W']`` with 1 = known, 0 = unknown; None if all known."""
        return None

    def pseudo_inverse(self, y: Tensor, input_shape: Shape) -> Tensor | None:
        """A⁺y, for operators with a cheap (Moore-Penrose) pseudo-inverse: ``[B, C, H, W]`` of ``input_shape``
        from observations ``y``; None when there is none. ``--consistency project`` uses it (x + A⁺(y - Ax))."""
        return None

    def propagate_mask(self, mask: Tensor, input_shape: Shape) -> Tensor:
        """Carry an earlier part's mask through this operator: a pixel stays known only if all of its area is."""
        _, height, width = self.output_shape(input_shape)
        if mask.shape[-2:] == (height, width):
            return mask
        return (F.adaptive_avg_pool2d(mask, (height, width)) > 1 - 1e-6).to(mask.dtype)

    @property
    def noise_std(self) -> float | None:
        """Standard deviation of the observation noise in [-1, 1] units, or None if noise-free."""
        return None

    def default_preset(self, method: str) -> str | None:
        """The preset a run that names no terms should use with this model (``method``: map or vi), when the
        plugins' default does not suit its observations (k-space data cannot be compared as images); None
        leaves the choice to the registered default."""
        return None

    def add_noise(self, y: Tensor, rng: torch.Generator) -> Tensor:
        """Draw this model's noise on top of ``forward``'s output; identity when noise-free. ``rng`` is a CPU
        generator: draw on the CPU and move the draw to ``y``'s device."""
        return y

    def simulate(self, x: Tensor, seed: int = 0) -> Tensor:
        """A synthetic observation: forward, then noise drawn with ``seed``, unknown pixels set to 0."""
        rng = torch.Generator().manual_seed(seed)  # on the CPU: the same observation on every device
        with torch.no_grad():
            y = self.add_noise(self.forward(x), rng)
            mask = self.mask(tuple(x.shape[1:]))
            return y if mask is None else y * mask.to(y)


class Convolution(ABC):
    """Optional interface of a forward model that convolves every channel with one known kernel.

    Deconvolution baselines (Wiener, Richardson-Lucy) find the kernel through it.
    """

    @abstractmethod
    def point_spread_function(self) -> Tensor:
        """The kernel ``[kh, kw]``, normalised to sum 1."""


class SpeedNotes(ABC):
    """Optional interface of a generator whose speed depends on more than the machine and the step's settings.

    ``invgen bench`` prints the notes under the generator's table and records them beside its figures.
    """

    @abstractmethod
    def speed_notes(self, device: torch.device) -> dict[str, str]:
        """Short ``name: state`` lines (optional compiled kernels, say, and whether they are in use or why not)."""


class Loss(Component, nn.Module, ABC):
    """A data term: how badly a predicted observation f(G(w)) explains the real one.

    ``weight`` multiplies the term in the objective (set from the spec's ``weight=``).
    """

    weight: float = 1.0

    def bind(self, forward_model: ForwardModel) -> None:
        """Called once before solving; a term may read the forward model (e.g. its noise std)."""

    @abstractmethod
    def forward(self, prediction: Tensor, observation: Tensor, mask: Tensor | None) -> Tensor:
        """Per-observation values ``[B]``; ``mask [1|B, 1, H', W']`` (1 = known) excludes unknown pixels."""


class Prior(Component, nn.Module, ABC):
    """A term on the latent: minus the log prior density of ``w``, up to a constant."""

    weight: float = 1.0

    def bind(self, generator: Generator) -> None:
        """Called once before solving; a term may read the generator's latent statistics."""

    @abstractmethod
    def forward(self, w: Tensor) -> Tensor:
        """Per-latent values ``[B]`` for ``w [B, L, D]``."""
