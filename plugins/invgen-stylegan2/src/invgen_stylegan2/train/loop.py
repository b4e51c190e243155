"""The training loop: non-saturating logistic GAN loss, lazy R1, generator EMA, Adam; resumable.

All randomness (batches, z, labels, translations, noise inputs) comes from generators whose
states are saved in every checkpoint, so a run resumed from a checkpoint continues exactly as
the uninterrupted run would have (same machine, same thread count).
"""

from __future__ import annotations

import copy
import json
import math
import signal
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from invgen_stylegan2.network.networks import StyleGAN2Network
from invgen_stylegan2.train.data import ImageSet
from invgen_stylegan2.train.discriminator import Discriminator

CONFIGS: dict[str, dict[str, int]] = {
    "small": {"z_dim": 128, "w_dim": 128, "mapping_layers": 2, "channels": 128},
    "tiny": {"z_dim": 16, "w_dim": 16, "mapping_layers": 2, "channels": 16},
}


@dataclass
class TrainSettings:
    """Everything that defines a run; stored in the checkpoint so that ``--resume`` needs only ``--out``."""

    resolution: int
    channels: int
    config: str = "small"
    c_dim: int = 0
    batch: int = 32
    lr: float = 0.002
    r1_gamma: float = 4.0
    r1_interval: int = 16
    translate: int = 3
    ema_kimg: float = 10.0
    mbstd_group: int = 4
    precision: str = "fp32"
    seed: int = 0

    def network_config(self) -> dict[str, Any]:
        """The generator's constructor arguments (as stored in safetensors exports)."""
        shape = CONFIGS[self.config]
        return {
            "z_dim": shape["z_dim"], "c_dim": self.c_dim, "w_dim": shape["w_dim"],
            "img_resolution": self.resolution, "img_channels": self.channels,
            "mapping_kwargs": {"num_layers": shape["mapping_layers"]},
            "synthesis_kwargs": {"channel_base": shape["channels"] * self.resolution * 4,
                                 "channel_max": shape["channels"], "architecture": "skip"},
        }


@dataclass
class Stats:
    """Running numbers shown in the progress display and written to ``log.jsonl``."""

    step: int = 0
    images: int = 0
    seconds: float = 0.0
    losses: dict[str, float] = field(default_factory=dict)

    @property
    def kimg(self) -> float:
        return self.images / 1000


class Trainer:
    """Holds G, its EMA, D, both optimisers, the random generators and the counters."""

    def __init__(self, settings: TrainSettings, data: ImageSet, device: str | torch.device = "cpu") -> None:
        self.settings, self.device = settings, torch.device(device)
        self.data = ImageSet(data.images.to(self.device), None if data.labels is None else data.labels.to(self.device))
        torch.manual_seed(settings.seed)
        self.G = StyleGAN2Network(**settings.network_config()).to(self.device)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        shape = CONFIGS[settings.config]
        self.D = Discriminator(settings.resolution, settings.channels, settings.c_dim, shape["channels"],
                               settings.mbstd_group).to(self.device)
        ratio = settings.r1_interval / (settings.r1_interval + 1)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=settings.lr, betas=(0.0, 0.99), eps=1e-8)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=settings.lr * ratio, betas=(0.0, 0.99**ratio), eps=1e-8)
        self.rng = torch.Generator().manual_seed(settings.seed)
        self.stats = Stats()

    # --- one step -------------------------------------------------------------------------
    def _labels(self, count: int) -> Tensor | None:
        if not self.settings.c_dim:
            return None
        index = torch.randint(len(self.data.labels), (count,), generator=self.rng)
        return F.one_hot(self.data.labels[index.to(self.device)], self.settings.c_dim).float()

    def _fake(self, count: int) -> tuple[Tensor, Tensor | None]:
        z = torch.randn(count, self.G.z_dim, generator=self.rng).to(self.device)
        labels = self._labels(count)
        ws = self.G.mapping(z, labels, update_w_avg=True)
        return self.G.synthesis(ws, noise_mode="random"), labels

    def _real(self, count: int) -> tuple[Tensor, Tensor | None]:
        index = torch.randint(len(self.data.images), (count,), generator=self.rng).to(self.device)
        labels = None
        if self.settings.c_dim:
            labels = F.one_hot(self.data.labels[index], self.settings.c_dim).float()
        return self.data.images[index], labels

    def _translate(self, images: Tensor) -> Tensor:
        """Shift each image by up to ``translate`` pixels, filling with the background (-1)."""
        shift = self.settings.translate
        if not shift:
            return images
        padded = F.pad(images, (shift,) * 4, value=-1.0)
        offsets = torch.randint(0, 2 * shift + 1, (images.shape[0], 2), generator=self.rng).tolist()
        size = images.shape[-1]
        return torch.stack([padded[i, :, dy:dy + size, dx:dx + size] for i, (dy, dx) in enumerate(offsets)])

    def _autocast(self) -> Any:
        """bf16 autocast for the main passes when ``precision == "bf16"`` (AMX units make convolutions ~2x faster;
        on CUDA, bf16 tensor cores), on the trainer's device."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.settings.precision == "bf16")

    def step(self) -> dict[str, float]:
        """One generator update, one discriminator update, and R1 (always fp32) every ``r1_interval`` steps."""
        batch = self.settings.batch
        self.G.requires_grad_(True)
        self.D.requires_grad_(False)
        with self._autocast():
            fake, labels = self._fake(batch)
            logits = self.D(self._translate(fake), labels)
        loss_G = F.softplus(-logits.float()).mean()
        self.opt_G.zero_grad(set_to_none=True)
        loss_G.backward()
        self.opt_G.step()

        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        with torch.no_grad(), self._autocast():
            fake, fake_labels = self._fake(batch)
        real, real_labels = self._real(batch)
        with self._autocast():
            logits_fake = self.D(self._translate(fake.float()), fake_labels)
            logits_real = self.D(self._translate(real), real_labels)
        loss_fake = F.softplus(logits_fake.float()).mean()
        loss_real = F.softplus(-logits_real.float()).mean()
        loss_D = loss_fake + loss_real
        self.opt_D.zero_grad(set_to_none=True)
        loss_D.backward()
        self.opt_D.step()
        losses = {"G": loss_G.item(), "D": loss_D.item()}

        if self.stats.step % self.settings.r1_interval == 0:
            real, real_labels = self._real(batch)
            real.requires_grad_(True)
            logits = self.D(self._translate(real), real_labels)
            (gradient,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
            penalty = gradient.square().sum(dim=(1, 2, 3))
            loss_r1 = (penalty * (self.settings.r1_gamma / 2)).mean() * self.settings.r1_interval
            self.opt_D.zero_grad(set_to_none=True)
            loss_r1.backward()
            self.opt_D.step()
            losses["R1"] = penalty.mean().item()

        self._update_ema()
        self.stats.step += 1
        self.stats.images += batch
        self.stats.losses = losses
        return losses

    @torch.no_grad()
    def _update_ema(self) -> None:
        beta = 0.5 ** (self.settings.batch / (self.settings.ema_kimg * 1000))
        for ema, live in zip(self.G_ema.parameters(), self.G.parameters()):
            ema.copy_(live.lerp(ema, beta))
        for ema, live in zip(self.G_ema.buffers(), self.G.buffers()):
            ema.copy_(live)

    # --- checkpoints ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "settings": asdict(self.settings),
            "G": self.G.state_dict(), "G_ema": self.G_ema.state_dict(), "D": self.D.state_dict(),
            "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
            "rng": self.rng.get_state(), "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None,
            "stats": {"step": self.stats.step, "images": self.stats.images, "seconds": self.stats.seconds},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name in ("G", "G_ema", "D", "opt_G", "opt_D"):
            getattr(self, name).load_state_dict(state[name])
        self.rng.set_state(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        if self.device.type == "cuda" and state.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(state["cuda_rng"], self.device)
        self.stats = Stats(**state["stats"])


def save_checkpoint(trainer: Trainer, out: Path) -> None:
    """Write ``checkpoint.pt`` (everything, for resuming) and ``network.safetensors`` (G_ema), atomically."""
    import io

    from invgen.plugin import write_atomic
    from invgen_stylegan2.checkpoints.loading import save_safetensors

    buffer = io.BytesIO()
    torch.save(trainer.state_dict(), buffer)
    write_atomic(out / "checkpoint.pt", buffer.getvalue())
    save_safetensors(trainer.G_ema, trainer.settings.network_config(), out / "network.safetensors")


def load_checkpoint_state(out: Path) -> dict[str, Any]:
    return torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)


def sample_grid(trainer: Trainer, count: int = 40) -> bytes:
    """A fixed grid of G_ema samples (fixed z; for conditional models each row cycles the classes)."""
    from invgen.plugin import grid_png

    z = torch.randn(count, trainer.G_ema.z_dim, generator=torch.Generator().manual_seed(123)).to(trainer.device)
    labels = None
    if trainer.settings.c_dim:
        labels = F.one_hot(torch.arange(count) % trainer.settings.c_dim, trainer.settings.c_dim).float()
        labels = labels.to(trainer.device)
    with torch.no_grad():
        images = trainer.G_ema.synthesis(trainer.G_ema.mapping(z, labels), noise_mode="const").cpu()
    columns = trainer.settings.c_dim or None
    return grid_png(images, columns=columns)


def train(trainer: Trainer, out: Path, kimg: float, checkpoint_minutes: float = 5.0,
          on_step: Callable[[Stats], None] | None = None, max_steps: int | None = None) -> Stats:
    """Train until ``kimg`` thousand images (or ``max_steps`` more steps); checkpoint on schedule, at the
    end, and on SIGINT/SIGTERM. Each checkpoint also writes a sample grid and a log line."""
    from invgen.plugin import kept_memory, write_atomic

    out.mkdir(parents=True, exist_ok=True)
    stop = {"now": False}
    previous = {sig: signal.signal(sig, lambda *_: stop.update(now=True)) for sig in (signal.SIGINT, signal.SIGTERM)}

    def checkpoint() -> None:
        save_checkpoint(trainer, out)
        write_atomic(out / f"samples-{trainer.stats.kimg:07.2f}kimg.png", sample_grid(trainer))
        with open(out / "log.jsonl", "a") as log:
            log.write(json.dumps({"step": trainer.stats.step, "kimg": round(trainer.stats.kimg, 3),
                                  "seconds": round(trainer.stats.seconds, 1), **trainer.stats.losses}) + "\n")

    try:
        with kept_memory():  # same-shaped steps: glibc keeps their memory for reuse (~10% a step at 32 px, batch 32)
            last_save = time.monotonic()
            steps_done = 0
            while trainer.stats.kimg < kimg and not stop["now"] and (max_steps is None or steps_done < max_steps):
                started = time.monotonic()
                losses = trainer.step()
                if not all(math.isfinite(v) for v in losses.values()):
                    raise FloatingPointError(f"training diverged at step {trainer.stats.step}: {losses}")
                trainer.stats.seconds += time.monotonic() - started
                steps_done += 1
                if on_step is not None:
                    on_step(trainer.stats)
                if time.monotonic() - last_save > checkpoint_minutes * 60:
                    checkpoint()
                    last_save = time.monotonic()
        checkpoint()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return trainer.stats
