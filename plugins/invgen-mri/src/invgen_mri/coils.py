"""Receive-coil sensitivity maps: simulated birdcage coils, or maps from a file.

Birdcage maps (the model sigpy's ``birdcage_maps`` uses, written here from its formula): ``N`` coils evenly
on a circle of relative radius ``r`` (1.5: outside the field of view), coil ``c`` at angle ``2 pi c / N`` seeing
a pixel with magnitude 1 / distance and phase the angle to it less the coil's own. They are normalised so that
``sum_c |S_c|^2 = 1`` at every pixel: the coil-combined image ``sum_c conj(S_c) x_c`` of coil images
``x_c = S_c x`` is ``x`` itself, and noise keeps its level through the combination.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from invgen.plugin import load_array


def birdcage(coils: int, height: int, width: int, radius: float = 1.5) -> Tensor:
    """Complex ``[coils, H, W]`` maps, normalised to unit root-sum-of-squares (see the module docstring)."""
    index = torch.arange(coils, dtype=torch.float64)[:, None, None]
    rows = torch.arange(height, dtype=torch.float64)[None, :, None]
    columns = torch.arange(width, dtype=torch.float64)[None, None, :]
    across = (columns - width / 2) / (width / 2) - radius * torch.cos(index * 2 * math.pi / coils)
    down = (rows - height / 2) / (height / 2) - radius * torch.sin(index * 2 * math.pi / coils)
    phase = torch.atan2(across, -down) - index * 2 * math.pi / coils
    maps = torch.polar(1 / torch.sqrt(across**2 + down**2), phase)
    return maps / maps.abs().square().sum(0).sqrt()


def read_maps(path: Path, coils: int) -> Tensor:
    """Maps from a ``.npy`` file: complex ``[coils, H, W]``, or real ``[coils, 2, H, W]`` (Re, Im), finite."""
    array = load_array(path, "coil sensitivity maps")
    if array.ndim == 4 and array.shape[1] == 2 and not np.iscomplexobj(array):
        array = array[:, 0] + 1j * array[:, 1]
    if array.ndim != 3 or array.shape[0] != coils:
        raise ValueError(f"{path}: coil maps must be complex [{coils}, H, W] (or real [{coils}, 2, H, W]) for "
                         f"coils={coils}, got shape {list(array.shape)}")
    if not np.isfinite(array).all() or not np.abs(array).any():
        raise ValueError(f"{path}: coil maps must be finite and not all zero")
    return torch.from_numpy(np.ascontiguousarray(array.astype(np.complex128)))
