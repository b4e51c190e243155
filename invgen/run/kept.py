"""The files that keep a result's values, not only its pictures: ``latent.safetensors`` (what to re-render or
warm-start from, :mod:`invgen.io.latents`) and the float images as ``.npy`` (``[C, H, W]`` float32 in the
generator's range [-1, 1], the values the PNGs were quantised from)."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
from torch import Tensor

import invgen
from invgen.io.latents import latent_bytes
from invgen.problem.results import Posterior, RunResult


def npy_bytes(image: Tensor) -> bytes:
    """One image ``[C, H, W]`` as a float32 ``.npy`` file."""
    buffer = io.BytesIO()
    np.save(buffer, image.detach().cpu().float().numpy(), allow_pickle=False)
    return buffer.getvalue()


def float_files(result: RunResult) -> dict[str, bytes]:
    """The first observation's float images: ``reconstruction.npy`` (MAP; ``reconstruction_raw.npy`` is G(w)
    before a consistency post-step), or ``posterior_mean.npy`` and ``posterior_std.npy`` (VI)."""
    stem = "posterior_mean" if isinstance(result, Posterior) else "reconstruction"
    files = {f"{stem}.npy": npy_bytes(result.image[0])}
    if result.raw_image is not None:
        files[f"{stem}_raw.npy"] = npy_bytes(result.raw_image[0])
    if isinstance(result, Posterior):
        files["posterior_std.npy"] = npy_bytes(result.std[0])
    return files


def result_latents(result: RunResult) -> dict[str, Tensor]:
    """The first observation's latents, named as :mod:`invgen.io.latents` says."""
    if isinstance(result, Posterior):
        tensors = {"latent": result.latent_mean[:1], "std": result.latent_std[:1]}
        if result.sample_latents is not None:
            tensors["samples"] = result.sample_latents[0]
        return tensors
    tensors = {"latent": result.latent[:1]}
    modes = getattr(result, "mode_latents", None)
    if modes is not None:
        tensors["modes"] = modes[0]
    return tensors


def latent_file(result: RunResult, record: dict[str, Any]) -> bytes:
    """``latent.safetensors`` of one input's result, with the generator, method and objective it came from."""
    metadata = {
        "generator": str(record["generator"]),
        "method": str(record["solver"]["method"]),
        "preset": str(record.get("preset")),
        "objective": json.dumps({"losses": record.get("losses", []), "priors": record.get("priors", [])}),
        "consistency": str(record.get("consistency", "none")),
        "invgen": invgen.__version__,
    }
    return latent_bytes(result_latents(result), metadata)
