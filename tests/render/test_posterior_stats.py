import numpy as np
import pytest
import torch
from scipy.spatial.distance import pdist
from skimage.metrics import peak_signal_noise_ratio

from invgen.render.posterior_stats import pairwise_distance, region_means, sample_fit_psnr


def test_pairwise_distance_is_the_mean_over_pairs_per_pixel():
    samples = torch.rand(2, 5, 3, 4, 6, dtype=torch.float64)
    ours = pairwise_distance(samples).numpy()
    for b in range(2):
        for y in range(4):
            for x in range(6):
                # channels averaged per pair: cityblock distance between channel vectors / channels
                expected = pdist(samples[b, :, :, y, x].numpy(), "cityblock").mean() / 3
                assert ours[b, y, x] == pytest.approx(expected, abs=1e-12)


def test_pairwise_distance_needs_two_samples():
    with pytest.raises(ValueError, match="two samples"):
        pairwise_distance(torch.zeros(1, 1, 1, 2, 2))


def test_region_means_split_the_image_by_the_mask():
    values = torch.rand(3, 8, 8, dtype=torch.float64)
    mask = torch.ones(1, 1, 8, 8)
    mask[..., 2:5, 1:7] = 0
    means = region_means(values, mask)
    hidden = ~(mask[0, 0].numpy() > 0.5)
    array = values.numpy()
    assert np.allclose(means["unknown"].numpy(), [a[hidden].mean() for a in array])
    assert np.allclose(means["known"].numpy(), [a[~hidden].mean() for a in array])
    assert np.allclose(means["all"].numpy(), array.reshape(3, -1).mean(1))
    assert set(region_means(values, None)) == {"all"}


def test_sample_fit_psnr_averages_scikit_image_psnr_over_samples():
    observation = torch.rand(2, 1, 8, 8, dtype=torch.float64) * 2 - 1
    predictions = (observation[:, None] + 0.05 * torch.randn(2, 4, 1, 8, 8, dtype=torch.float64)).clamp(-1, 1)
    ours = sample_fit_psnr(predictions, observation).numpy()
    unit = lambda t: ((t + 1) / 2).numpy()  # noqa: E731
    for b in range(2):
        expected = np.mean([peak_signal_noise_ratio(unit(observation[b]), unit(predictions[b, i]), data_range=1)
                            for i in range(4)])
        assert ours[b] == pytest.approx(expected, rel=1e-9)
