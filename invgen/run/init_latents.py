"""``--init``: the saved latent each input of a run starts from (a ``latent.safetensors``, a result folder, or a
folder of many results with one sub-folder per input, named as this run names its outputs)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

from torch import Tensor

from invgen.errors import InputError, UsageError
from invgen.io.latents import SavedLatents, read_latents
from invgen.problem.interfaces import Generator
from invgen.run.inputs import InputItem
from invgen.run.saved import LATENT_FILE


class InitLatents:
    """Every input's starting latent, read and checked before any solve (a missing or foreign file fails the
    run, not one input after hours of others)."""

    def __init__(self, source: str | Path, items: Sequence[InputItem]) -> None:
        path = Path(source)
        if not path.exists():
            raise UsageError(f"--init {path}: no such file or folder; pass a latent.safetensors or an "
                             "`invgen run` output folder")
        shared = path if path.is_file() else path / LATENT_FILE if (path / LATENT_FILE).is_file() else None
        self._files = {item.name: shared or self._per_input(path, item) for item in items}
        self._read: dict[Path, tuple[SavedLatents, str]] = {}
        for file in set(self._files.values()):
            self._read[file] = (read_latents(file, f"--init {file}"), _sha256(file))

    @staticmethod
    def _per_input(folder: Path, item: InputItem) -> Path:
        file = folder / item.name / LATENT_FILE
        if not file.is_file():
            raise InputError(f"--init {folder}: has no result for input {item.path} ({file} is missing); pass a "
                             "folder of results of the same inputs, or one latent.safetensors for all")
        return file

    def check(self, generator: Generator) -> None:
        """Each latent must be of ``generator`` (its spec and its latent shape)."""
        expected = tuple(generator.latent_shape)
        for file, (saved, _) in self._read.items():
            if saved.generator != generator.spec:
                raise InputError(f"--init {file}: made by {saved.generator}, not by this run's generator "
                                 f"{generator.spec}; start from a result of the same generator")
            if tuple(saved.latent.shape[1:]) != expected:
                raise InputError(f"--init {file}: latents of shape {list(saved.latent.shape[1:])} do not fit "
                                 f"{generator.spec} ({list(expected)})")

    def of(self, item: InputItem) -> Tensor:
        """The latent ``[1, L, D]`` that ``item`` starts from."""
        return self._read[self._files[item.name]][0].latent

    def sha256(self, item: InputItem) -> str:
        """The SHA-256 of ``item``'s latent file (part of its result's identity)."""
        return self._read[self._files[item.name]][1]


def _sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()  # a checked latent file is small (read_latents' limit)
