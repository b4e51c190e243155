"""StyleGAN2 as an invgen :class:`~invgen.problem.interfaces.Generator`: W+ latents in, images out."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import Tensor

from invgen.plugin import Generator, LatentStats, SpeedNotes
from invgen_stylegan2.checkpoints.loading import Checkpoint, load_checkpoint
from invgen_stylegan2.network.layers import NOISE_MODES
from invgen_stylegan2.network.networks import StyleGAN2Network


class StyleGAN2Generator(Generator, SpeedNotes):
    """A StyleGAN2 network behind the Generator interface.

    ``w`` is ``[B, num_ws, w_dim]``. ``noise`` is ``none`` (noise inputs removed, the seed
    method's default), ``const`` (the stored noise buffers) or ``random``. For class-conditional
    networks ``map(z)`` draws a class per z from z itself (uniform over classes, deterministic).
    """

    def __init__(self, network: StyleGAN2Network, noise: str = "none", sha256: str | None = None,
                 modconv: str = "auto") -> None:
        super().__init__()
        if noise not in NOISE_MODES:
            raise ValueError(f"noise must be one of {'|'.join(NOISE_MODES)}, not {noise!r}")
        network.synthesis.set_modconv_form(modconv)
        self.network = network
        self.modconv = modconv
        self.noise = noise
        self.sha256 = sha256
        self.num_layers, self.latent_dim, self.z_dim = network.num_ws, network.w_dim, network.z_dim
        self.channels, self.resolution = network.img_channels, network.img_resolution

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, noise: str = "none", modconv: str = "auto") -> "StyleGAN2Generator":
        return cls(checkpoint.network, noise=noise, sha256=checkpoint.sha256, modconv=modconv)

    def synthesize(self, w: Tensor) -> Tensor:
        return self.network.synthesis(w, noise_mode=self.noise)

    def speed_notes(self, device: torch.device) -> dict[str, str]:
        """Whether the CPU fast path's Winograd tile transforms run as the C kernels (``on``) or, slower, as
        PyTorch operations (``off``, with the reason: no compiler, ``INVGEN_NATIVE=0`` ...)."""
        from invgen_stylegan2.fast import ops as fast_ops, native

        if fast_ops.pick_form(self.modconv, device) != "winograd":
            return {}
        return {"C kernels (Winograd tile transforms)": "on" if native.library() is not None else native.status()}

    def labels_for(self, z: Tensor) -> Tensor | None:
        """One-hot classes for conditional networks, from the normal CDF of each z's first coordinate."""
        classes = self.network.c_dim
        if classes == 0:
            return None
        uniform = 0.5 * (1 + torch.erf(z[:, 0].double() / 2**0.5))
        index = (uniform * classes).long().clamp(0, classes - 1)
        return torch.nn.functional.one_hot(index, classes).to(z)

    def map(self, z: Tensor, truncation: float = 1.0, labels: Tensor | None = None) -> Tensor:
        labels = self.labels_for(z) if labels is None else labels
        return self.network.mapping(z, labels, truncation_psi=truncation)

    def compute_latent_stats(self) -> LatentStats:
        """As the base class, cached in ``$INVGEN_HOME/stats/<sha256>.json`` when the weights' hash is known."""
        cache = _stats_path(self.sha256)
        cached = _read_stats(cache, self.stats_samples, self.latent_dim) if cache is not None else None
        if cached is not None:
            return cached
        stats = super().compute_latent_stats()
        if cache is not None:
            from invgen.plugin import write_atomic

            record = {"samples": self.stats_samples, "mean": stats.mean.tolist(), "std": stats.std.item(),
                      "std_per_dim": stats.std_per_dim.tolist()}
            write_atomic(cache, json.dumps(record).encode())
        return stats


def _read_stats(cache: Path, samples: int, w_dim: int) -> LatentStats | None:
    """The cached statistics, or None when there are none or the file is damaged (then they are computed again
    and the file rewritten: a bad cache never breaks a run)."""
    try:
        record = json.loads(cache.read_text())
        if record.get("samples") != samples:
            return None
        stats = LatentStats(torch.tensor(record["mean"], dtype=torch.float32), torch.tensor(float(record["std"])),
                            torch.tensor(record["std_per_dim"], dtype=torch.float32))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if stats.mean.shape != (w_dim,) or stats.std_per_dim.shape != (w_dim,) or not all(
            bool(torch.isfinite(t).all()) for t in (stats.mean, stats.std, stats.std_per_dim)):
        return None
    return stats


def _stats_path(sha256: str | None) -> Path | None:
    if not sha256:
        return None
    from invgen.plugin import data_home

    return data_home() / "stats" / f"stylegan2-{sha256}.json"


def from_file(weights: str, noise: str = "none", modconv: str = "auto") -> StyleGAN2Generator:
    """The ``stylegan2:weights=FILE`` generator: any supported checkpoint file."""
    return StyleGAN2Generator.from_checkpoint(load_checkpoint(weights), noise=noise, modconv=modconv)
