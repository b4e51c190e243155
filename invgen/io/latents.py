"""``latent.safetensors``: the latents a result was rendered from, with what made them in its metadata.

A result kept as latents can be re-rendered (``invgen render``), warm-start another run (``--init``) and be
checked later. Tensors (float32, on the CPU): ``latent [1, L, D]`` always (MAP: the result's latent; VI: the mean
of q, the heaviest component's for a mixture); ``modes [K, L, D]`` for MAP with several starts (ranked, best
first); ``std [1, L, D]`` (q's marginal std) and ``samples [N, L, D]`` (the latents of the sample images) for VI.
Metadata (strings): ``format``, ``generator`` (its canonical spec), ``method``, ``preset``, ``objective`` (the
terms, JSON), ``consistency`` and ``invgen`` (the version that wrote it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from invgen.errors import InputError

FORMAT = "invgen-latents/1"
MAX_BYTES = 1 << 28  # 256 MB: 8192 samples of an FFHQ latent would be 300 MB; real files are kilobytes
SHAPED = {"latent": 1, "std": 1}  # tensors that hold one latent; the others hold several
KNOWN = ("latent", "modes", "std", "samples")


@dataclass(frozen=True)
class SavedLatents:
    """The latents of one result (see the module docstring) and the metadata they were written with."""

    tensors: dict[str, Tensor]
    metadata: dict[str, str]

    @property
    def latent(self) -> Tensor:
        """The result's latent ``[1, L, D]``."""
        return self.tensors["latent"]

    @property
    def generator(self) -> str:
        return self.metadata["generator"]


def latent_bytes(tensors: dict[str, Tensor], metadata: dict[str, str]) -> bytes:
    """The file's bytes: ``tensors`` as contiguous float32 CPU tensors, ``metadata`` with :data:`FORMAT`."""
    from safetensors.torch import save

    stored = {name: value.detach().to("cpu", torch.float32).contiguous() for name, value in tensors.items()}
    return save(stored, metadata={"format": FORMAT, **metadata})


def read_latents(path: str | Path, what: str | None = None) -> SavedLatents:
    """Read and check a latent file: written by invgen, with a finite ``latent [1, L, D]`` and tensors of the
    same ``L, D``. Errors are one line naming the file."""
    from safetensors import SafetensorError, safe_open

    file = Path(path)
    name = what or str(file)
    try:
        size = file.stat().st_size
    except OSError as error:
        raise InputError(f"{name}: cannot read the latent file ({error.strerror or error})") from None
    if size > MAX_BYTES:
        raise InputError(f"{name}: {size:,} bytes is more than a latent file holds ({MAX_BYTES:,}); "
                         "pass the latent.safetensors of an invgen result")
    try:
        with safe_open(str(file), framework="pt") as opened:
            metadata = dict(opened.metadata() or {})
            if metadata.get("format") != FORMAT:
                raise InputError(f"{name}: not an invgen latent file (its metadata has no format {FORMAT!r}); "
                                 "pass the latent.safetensors of an invgen result")
            tensors = {key: opened.get_tensor(key) for key in opened.keys() if key in KNOWN}
    except (SafetensorError, OSError, ValueError) as error:
        raise InputError(f"{name}: not a safetensors file ({str(error).splitlines()[0]}); pass the "
                         "latent.safetensors of an invgen result") from None
    _check(tensors, metadata, name)
    return SavedLatents(tensors, metadata)


def _check(tensors: dict[str, Tensor], metadata: dict[str, str], name: str) -> None:
    if "latent" not in tensors:
        raise InputError(f"{name}: holds no 'latent' tensor; pass the latent.safetensors of an invgen result")
    if "generator" not in metadata:
        raise InputError(f"{name}: its metadata names no generator; pass the latent.safetensors of an invgen result")
    layers = tensors["latent"].shape[1:]
    for key, value in tensors.items():
        wrong = value.dim() != 3 or value.shape[1:] != layers or (key in SHAPED and value.shape[0] != 1)
        if wrong or value.shape[0] == 0 or not value.dtype.is_floating_point:
            raise InputError(f"{name}: tensor {key!r} has shape {list(value.shape)} ({value.dtype}); invgen writes "
                             f"[{'1' if key in SHAPED else 'N'}, L, D] floats")
        if not torch.isfinite(value).all():
            raise InputError(f"{name}: tensor {key!r} has NaN or infinite values")
