"""Two-dimensional k-space sampling (3-D acquisitions sample the two phase-encode axes of each slice): seeded
variable-density random masks and variable-density Poisson-disc masks, each with a fully sampled square at the
centre. ``round(H * W / R)`` samples are taken in both (the Poisson disc comes within a few percent of it)."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def _radius(height: int, width: int) -> np.ndarray:
    """Each sample's distance from the centre of k-space, 0 there and about 1 at the edges' middles."""
    rows = (np.arange(height) - height // 2) / (height / 2)
    columns = (np.arange(width) - width // 2) / (width / 2)
    return np.hypot(rows[:, None], columns[None, :])


def _centre(height: int, width: int, fraction: float) -> np.ndarray:
    """The fully sampled square: ``fraction`` of each side, around the zero frequency."""
    keep = np.zeros((height, width), bool)
    side_h, side_w = max(1, round(height * fraction)), max(1, round(width * fraction))
    top, left = height // 2 - side_h // 2, width // 2 - side_w // 2
    keep[top:top + side_h, left:left + side_w] = fraction > 0
    return keep


def variable_density(height: int, width: int, acceleration: float, center: float, seed: int = 0) -> Tensor:
    """``[H, W]`` booleans: the centre square, then samples drawn without replacement with probability
    proportional to a Gaussian of the radius (std 0.4), until ``round(H W / R)`` are taken."""
    total = max(1, round(height * width / acceleration))
    chosen = _centre(height, width, center)
    if chosen.sum() > total:
        raise ValueError(f"center={center:g} keeps {int(chosen.sum())} of {height * width} samples but "
                         f"R={acceleration:g} allows {total}; lower center or R")
    weight = np.exp(-0.5 * (_radius(height, width) / 0.4) ** 2)
    weight[chosen] = 0
    rest = total - int(chosen.sum())
    if rest:
        picks = np.random.default_rng(seed).choice(height * width, size=rest, replace=False,
                                                   p=(weight / weight.sum()).ravel())
        chosen.ravel()[picks] = True
    return torch.from_numpy(chosen)


def poisson_disc(height: int, width: int, acceleration: float, center: float, seed: int = 0,
                 slope: float = 1.0) -> Tensor:
    """``[H, W]`` booleans: a variable-density Poisson disc (no two samples closer than ``r0 (1 + slope |k|)``,
    so the density falls as the radius grows), ``r0`` found by bisection so that ``round(H W / R)`` samples fit
    to within 2% (the centre square included); dart throwing over a seeded random order of the grid points."""
    total = height * width / acceleration
    centre = _centre(height, width, center)
    if centre.sum() > total:
        raise ValueError(f"center={center:g} keeps {int(centre.sum())} of {height * width} samples but "
                         f"R={acceleration:g} allows {round(total)}; lower center or R")
    order = np.random.default_rng(seed).permutation(height * width)
    growth = 1 + slope * _radius(height, width).ravel()
    low, high = 0.5, float(max(height, width))
    best = None
    for _ in range(16):
        spacing = (low + high) / 2
        mask = _darts(width, order, spacing * growth, centre)
        if best is None or abs(mask.sum() - total) < abs(best.sum() - total):
            best = mask
        if abs(mask.sum() - total) <= 0.02 * total:
            break
        low, high = (spacing, high) if mask.sum() > total else (low, spacing)
    return torch.from_numpy(best)


def _darts(width: int, order: np.ndarray, reach: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """The centre square, then each grid point in ``order`` accepted unless an accepted point (the centre's
    included) lies within its exclusion radius ``reach``."""
    accepted = centre.copy()
    for point in order:
        row, column = divmod(int(point), width)
        if accepted[row, column]:
            continue
        distance = reach[point]
        span = int(distance)
        top, left = max(0, row - span), max(0, column - span)
        window = accepted[top:row + span + 1, left:column + span + 1]
        if window.any():
            near = np.argwhere(window)
            if (np.hypot(near[:, 0] + top - row, near[:, 1] + left - column) < distance).any():
                continue
        accepted[row, column] = True
    return accepted
