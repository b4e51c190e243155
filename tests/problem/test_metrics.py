"""Metrics against scikit-image on real photographs."""

import numpy as np
import pytest
import torch
from skimage import data
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

from invgen.problem.metrics import all_metrics, psnr, rmse, ssim


def _pair(image):
    clean = image.astype(np.float64) / 255.0
    rng = np.random.default_rng(0)
    noisy = np.clip(clean + rng.normal(0, 0.05, clean.shape), 0, 1)
    return clean, noisy


def _tensor(array):
    array = array if array.ndim == 3 else array[:, :, None]
    return torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0) * 2 - 1


@pytest.mark.parametrize("name", ["camera", "astronaut"])
def test_against_scikit_image(name):
    clean, noisy = _pair(getattr(data, name)()[::4, ::4])
    channel_axis = 2 if clean.ndim == 3 else None
    x, y = _tensor(noisy), _tensor(clean)
    assert psnr(x, y).item() == pytest.approx(peak_signal_noise_ratio(clean, noisy, data_range=1.0), abs=1e-6)
    assert rmse(x, y).item() == pytest.approx(255 * np.sqrt(mean_squared_error(clean, noisy)), abs=1e-6)
    expected = structural_similarity(clean, noisy, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                     use_sample_covariance=False, channel_axis=channel_axis)
    assert ssim(x, y).item() == pytest.approx(expected, abs=1e-4)


def test_per_image_and_small_images():
    x = torch.rand(3, 1, 8, 8) * 2 - 1
    values = all_metrics(x, x.flip(0))
    assert set(values) == {"psnr", "rmse"} and len(values["psnr"]) == 3
    with pytest.raises(ValueError, match="at least 11x11"):
        ssim(x, x)


def test_extra_metrics_are_the_callers_and_get_cpu_images():
    x = torch.rand(2, 1, 16, 16) * 2 - 1
    seen = []

    def mean_abs(a, b):
        seen.append(a.device.type)
        return (a - b).abs().flatten(1).mean(1)

    values = all_metrics(x, -x, {"mae": mean_abs})
    assert values["mae"] == pytest.approx((2 * x.abs()).flatten(1).mean(1).tolist()) and seen == ["cpu"]
