"""How observations are shown beside reconstructions: images as they are, data (k-space) as log magnitude."""

import torch

from invgen.render.map_files import observation_view


def test_low_resolution_images_are_enlarged_pixel_by_pixel():
    low = torch.tensor([[[[-1.0, 1.0], [0.5, 0.0]]]])
    shown = observation_view(low, torch.zeros(1, 1, 4, 4))
    assert shown.shape == (1, 1, 4, 4) and torch.equal(shown[0, 0, :2, 2:], torch.ones(2, 2))


def test_data_channels_become_a_log_magnitude_picture():
    data = torch.zeros(2, 2, 8, 8)
    data[:, 0, 4, 4], data[:, 1, 4, 5] = 30.0, -3.0  # a strong centre and a weaker sample, (Re, Im) pairs
    shown = observation_view(data, torch.zeros(1, 3, 8, 8))
    assert shown.shape == (2, 3, 8, 8) and shown.min() == -1 and shown.max() == 1
    assert shown[0, 0, 4, 4] == 1 and -1 < shown[0, 0, 4, 5] < 1
