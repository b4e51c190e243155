"""Cartesian k-space sampling masks: which phase-encode lines (columns of centred k-space) are acquired.

``round(W / R)`` of the ``W`` columns are sampled, exactly: the ``round(W * center)`` columns around
the centre (the low frequencies, where most of the image's energy is), and the rest chosen at random
(seeded) or evenly spaced among the other columns. Masks are ``[H, W]`` with 1 = sampled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from invgen.plugin import load_array, open_picture

PATTERNS = ("random", "equispaced")


def line_mask(width: int, acceleration: float, center: float, pattern: str = "random", seed: int = 0) -> Tensor:
    """``[W]`` booleans: the sampled columns of centred k-space (see the module docstring)."""
    if pattern not in PATTERNS:
        raise ValueError(f"pattern must be one of {'|'.join(PATTERNS)}, not {pattern!r}")
    total = max(1, round(width / acceleration))
    middle = round(width * center)
    if middle > total:
        raise ValueError(f"center={center:g} keeps {middle} of {width} lines but R={acceleration:g} allows {total}; "
                         "lower center or R")
    chosen = torch.zeros(width, dtype=torch.bool)
    first = width // 2 - middle // 2
    chosen[first:first + middle] = True
    others = torch.nonzero(~chosen).flatten()
    extra = total - middle
    if pattern == "random":
        picks = torch.randperm(len(others), generator=torch.Generator().manual_seed(seed))[:extra]
    else:
        picks = torch.linspace(0, len(others) - 1, extra).round().long() if extra else torch.zeros(0, dtype=torch.long)
    chosen[others[picks]] = True
    return chosen


def read_mask(path: Path) -> Tensor:
    """A sampling mask from a file: ``.npy`` or an image, ``[H, W]`` or ``[W]`` (one value per column), non-zero =
    sampled; returned as booleans of that shape."""
    if not path.is_file():
        raise ValueError(f"{path}: no such mask file")
    if path.suffix.lower() == ".npy":
        array = load_array(path, "mask")
    else:
        with open_picture(path, "k-space mask") as picture:  # its size checked before it is decoded
            array = np.asarray(picture.convert("L"))
    if array.ndim not in (1, 2) or array.size == 0 or not np.isfinite(array.astype(np.float64)).all():
        raise ValueError(f"{path}: a k-space mask must be a finite [H, W] or [W] array, got shape {array.shape}")
    mask = torch.from_numpy(np.ascontiguousarray(array) != 0)
    if not mask.any():
        raise ValueError(f"{path}: the mask samples nothing; mark the acquired lines with non-zero values")
    return mask
