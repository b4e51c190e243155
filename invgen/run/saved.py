"""A result folder read back: its ``run.json``, its latents and float images, and the images its latents
re-render to (``invgen render``, :func:`invgen.load_result`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from invgen.errors import InputError
from invgen.io.latents import SavedLatents, read_latents
from invgen.problem.interfaces import Generator

LATENT_FILE = "latent.safetensors"
RECORD_FILE = "run.json"

POSTERIOR_METHODS = ("vi", "mcmc")  # methods whose results are samples, their mean and std


@dataclass(frozen=True)
class SavedResult:
    """One input's result as written by ``invgen run``: ``record`` (its ``run.json``) and ``latents``."""

    folder: Path
    record: dict[str, Any]
    latents: SavedLatents

    @property
    def method(self) -> str:
        return str(self.record.get("solver", {}).get("method", self.latents.metadata.get("method", "map")))

    @property
    def latent(self) -> Tensor:
        """The result's latent ``[1, L, D]`` (VI: the mean of q)."""
        return self.latents.latent

    @property
    def image(self) -> Tensor:
        """The reconstruction (VI: the posterior mean) as the run computed it, ``[1, C, H, W]`` float32 in [-1, 1]."""
        name = "posterior_mean.npy" if self.method in POSTERIOR_METHODS else "reconstruction.npy"
        path = self.folder / name
        try:
            return torch.from_numpy(np.load(path, allow_pickle=False)).unsqueeze(0)
        except (OSError, ValueError) as error:
            raise InputError(f"{path}: cannot read the float reconstruction ({error}); re-render it with "
                             "`invgen render`") from None

    def rendered(self, generator: Generator) -> dict[str, Tensor]:
        """The images the latents give through ``generator`` (on its device, float32, no gradients), batched as
        the run batched them: ``reconstruction [1, C, H, W]`` (G(w), before any consistency post-step), ``modes``
        (MAP with several starts; the reconstruction is the first), ``samples`` and ``std`` (VI; ``std`` scaled
        by the run's calibration)."""
        device = next(iter(generator.parameters()), torch.zeros(())).device
        tensors = {name: value.to(device) for name, value in self.latents.tensors.items()}
        images: dict[str, Tensor] = {}
        with torch.no_grad():
            if "modes" in tensors:
                images["modes"] = generator.synthesize(tensors["modes"]).float().cpu()
                images["reconstruction"] = images["modes"][:1]
            elif self.method not in POSTERIOR_METHODS:
                images["reconstruction"] = generator.synthesize(tensors["latent"]).float().cpu()
            if "samples" in tensors:
                samples = torch.stack([generator.synthesize(draw[None]).float() for draw in tensors["samples"]], 1)
                scale = float((self.record.get("calibration") or {}).get("scale") or 1.0)
                images["samples"] = samples[0].cpu()
                images["reconstruction"] = samples.mean(1).cpu()
                images["std"] = ((samples.std(1) if samples.shape[1] > 1 else torch.zeros_like(samples[:, 0]))
                                 * scale).cpu()
        return images


def load_result(folder: str | Path) -> SavedResult:
    """Read one input's result folder (``run.json`` and ``latent.safetensors``), checked; one-line errors."""
    path = Path(folder)
    record_path = path / RECORD_FILE
    if not path.is_dir():
        raise InputError(f"{path}: not a folder; pass the output folder of `invgen run`")
    if not record_path.is_file():
        hint = (" (a run of many inputs has one result folder per input: pass one of them)"
                if (path / "index.jsonl").exists() or (path / "inputs.json").exists() else "")
        raise InputError(f"{path}: holds no {RECORD_FILE}{hint}; pass the output folder of `invgen run`")
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError) as error:
        raise InputError(f"{record_path}: cannot read it ({error})") from None
    if not isinstance(record, dict):
        raise InputError(f"{record_path}: not a run record (a JSON object)")
    latent_path = path / LATENT_FILE
    if not latent_path.is_file():
        raise InputError(f"{path}: holds no {LATENT_FILE} (written by invgen 0.1 before latents were kept?); "
                         "run it again to keep its latents")
    return SavedResult(path, record, read_latents(latent_path))


def result_folders(folder: str | Path) -> list[tuple[str, Path]]:
    """The result folders under ``folder``: itself (named "") if it is one, else each sub-folder that is one."""
    path = Path(folder)
    if (path / RECORD_FILE).is_file() or not path.is_dir():
        return [("", path)]
    found = sorted((child.name, child) for child in path.iterdir()
                   if child.is_dir() and (child / RECORD_FILE).is_file())
    if not found:
        raise InputError(f"{path}: holds no result ({RECORD_FILE}, itself or in its sub-folders); pass the "
                         "output folder of `invgen run`")
    return found


def check_generator(saved: SavedResult, generator: Generator, named: bool) -> None:
    """The latents must fit ``generator``; one not given by name must be the one that made them."""
    expected = tuple(generator.latent_shape)
    found = tuple(saved.latent.shape[1:])
    if found != expected:
        raise InputError(f"{saved.folder / LATENT_FILE}: latents of shape {list(found)} do not fit "
                         f"{generator.spec} (it takes {list(expected)}); pass the generator that made them")
    if not named and saved.latents.generator != generator.spec:
        raise InputError(f"{saved.folder / LATENT_FILE}: made by {saved.latents.generator}, not {generator.spec}; "
                         "render each run's results separately, or pass --generator to force one")
