"""Image quality metrics on ``[B, C, H, W]`` images in [-1, 1], one value per image.

PSNR and SSIM are computed on the [0, 1] scale (data range 1); RMSE on the 0-255 scale, as
in the BRGM paper's tables. SSIM uses an 11x11 Gaussian window (sigma 1.5) over the valid
area, which equals scikit-image's ``structural_similarity(..., gaussian_weights=True,
sigma=1.5, use_sample_covariance=False, data_range=1)``. LPIPS uses the registered
``lpips`` loss (AlexNet, the LPIPS default) when a plugin provides it and its weights are
available locally (a metric never triggers a download).
"""

from __future__ import annotations

import torch
from torch import Tensor


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


def lpips_distance(x: Tensor, y: Tensor) -> Tensor | None:
    """LPIPS (AlexNet) per image ``[B]``, or None when no plugin registers ``lpips`` or its weights are missing."""
    from invgen.errors import UserError
    from invgen.plugins import registry

    if "lpips" not in registry().components["loss"]:
        return None
    try:
        metric = registry().build("loss", "lpips:net=alex,download=false").to(x.device)
    except UserError:
        return None
    with torch.no_grad():
        return metric(x.float(), y.float(), None).double()


def all_metrics(reconstruction: Tensor, truth: Tensor, with_lpips: bool = True) -> dict[str, list[float]]:
    """Every metric that applies, per image, as plain floats (for JSON and tables)."""
    values: dict[str, Tensor | None] = {"psnr": psnr(reconstruction, truth), "rmse": rmse(reconstruction, truth)}
    if min(truth.shape[-2:]) >= 11:
        values["ssim"] = ssim(reconstruction, truth)
    if with_lpips:
        values["lpips"] = lpips_distance(reconstruction, truth)
    return {name: [float(v) for v in value.cpu()] for name, value in values.items() if value is not None}
