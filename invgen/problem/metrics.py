"""Image quality metrics on ``[B, C, H, W]`` images in [-1, 1], one value per image.

PSNR and SSIM are computed on the [0, 1] scale (data range 1); RMSE on the 0-255 scale, as
in the BRGM paper's tables. SSIM uses an 11x11 Gaussian window (sigma 1.5) over the valid
area, which equals scikit-image's ``structural_similarity(..., gaussian_weights=True,
sigma=1.5, use_sample_covariance=False, data_range=1)``. Further metrics (LPIPS, registered by
a plugin) are passed in by the caller as functions; this module knows no plugin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import torch
from torch import Tensor

MetricFunction = Callable[[Tensor, Tensor], Tensor]
PEAK_TO_PEAK = 2.0  # images live in [-1, 1]


@dataclass(frozen=True)
class Column:
    """How a metric is shown in tables: its key, title, decimals, and which direction is better."""

    key: str
    title: str
    digits: int
    higher_is_better: bool


CORE_COLUMNS = (Column("rmse", "RMSE", 2, False), Column("psnr", "PSNR", 2, True), Column("ssim", "SSIM", 3, True))
# posterior methods only: share of ground-truth pixels inside mean ± 2 std (0.95 when calibrated)
COVERAGE_COLUMNS = (Column("coverage2", "2-std coverage", 3, True),
                    Column("coverage2_unknown", "2-std coverage (hidden)", 3, True))


def _unit(x: Tensor) -> Tensor:
    return ((x.detach().double() + 1.0) / 2.0).clamp(0.0, 1.0)


def rmse(x: Tensor, y: Tensor) -> Tensor:
    """Root mean squared error on the 0-255 scale, per image ``[B]``."""
    return (255.0 * (_unit(x) - _unit(y))).pow(2).flatten(1).mean(1).sqrt()


def psnr(x: Tensor, y: Tensor) -> Tensor:
    """Peak signal-to-noise ratio in dB (data range 1 on the [0, 1] scale), per image ``[B]``."""
    mse = (_unit(x) - _unit(y)).pow(2).flatten(1).mean(1)
    return 10.0 * torch.log10(1.0 / mse)


def ssim(x: Tensor, y: Tensor) -> Tensor:
    """Structural similarity (Gaussian window 11, sigma 1.5, valid area), mean over channels ``[B]``."""
    import kornia

    if min(x.shape[-2:]) < 11:
        raise ValueError(f"SSIM needs images of at least 11x11 pixels, got {tuple(x.shape[-2:])}")
    value = kornia.metrics.ssim(_unit(x), _unit(y), window_size=11, max_val=1.0, padding="valid")
    return value.flatten(1).mean(1)


def all_metrics(reconstruction: Tensor, truth: Tensor,
                extra: Mapping[str, MetricFunction] | None = None) -> dict[str, list[float]]:
    """Every metric that applies, per image, as plain floats (for JSON and tables).

    ``extra`` maps names to further metrics ``f(reconstruction, truth) -> [B]`` (e.g. a plugin's LPIPS).
    """
    reconstruction, truth = reconstruction.detach().cpu(), truth.detach().cpu()
    values: dict[str, Tensor] = {"psnr": psnr(reconstruction, truth), "rmse": rmse(reconstruction, truth)}
    if min(truth.shape[-2:]) >= 11:
        values["ssim"] = ssim(reconstruction, truth)
    for name, metric in (extra or {}).items():
        values[name] = metric(reconstruction, truth)
    return {name: [float(v) for v in value.cpu()] for name, value in values.items()}


def fit_db(prediction: Tensor, observation: Tensor, mask: Tensor | None = None) -> list[float]:
    """How well f(x) explains y, per observation: PSNR in dB over the known values (peak-to-peak 2)."""
    error = (prediction - observation).square()
    if mask is None:
        mse = error.flatten(1).mean(1)
    else:
        known = mask.to(error).expand_as(error)
        mse = (error * known).flatten(1).sum(1) / known.flatten(1).sum(1).clamp_min(1)
    return [math.inf if value == 0 else 10 * math.log10(PEAK_TO_PEAK**2 / value) for value in mse.tolist()]
