"""Resampling ops against their literal definitions (zero insertion, padding, FIR, convolution) in float64."""

import pytest
import torch
import torch.nn.functional as F

from invgen_stylegan2.network.ops import conv2d_down2, conv2d_up2, downsample2d, fir, setup_filter, upsample2d, zero_insert


def _literal_up_conv(x, weight, kernel):
    """Up-sample by zero insertion, pad (with respect to the up-sampled image), FIR x4, then a true convolution."""
    k, size = weight.shape[-1], kernel.shape[-1]
    before, after = k // 2 + (size + 1) // 2, k // 2 + (size - 2) // 2
    return F.conv2d(fir(zero_insert(x, 2), kernel, (before, after, before, after), gain=4.0), weight.flip([2, 3]))


def _literal_down_conv(x, weight, kernel):
    """Pad, convolve (correlation), FIR low-pass, keep every other pixel."""
    pad = weight.shape[-1] // 2 + 1 if weight.shape[-1] > 1 else 1
    return fir(F.conv2d(F.pad(x, (pad,) * 4), weight), kernel, (0, 0, 0, 0))[:, :, ::2, ::2]


@pytest.mark.parametrize("k", [1, 3])
def test_up_and_down_convolutions_match_their_definitions(k):
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(2, 5, 6, 6, generator=rng, dtype=torch.float64)
    weight = torch.randn(7, 5, k, k, generator=rng, dtype=torch.float64)
    kernel = setup_filter().double()
    if k == 3:
        assert torch.allclose(conv2d_up2(x, weight, kernel), _literal_up_conv(x, weight, kernel), atol=1e-12)
    down = conv2d_down2(x, weight, kernel)
    assert down.shape == (2, 7, 3, 3)
    assert torch.allclose(down, _literal_down_conv(x, weight, kernel), atol=1e-12)


def test_filter_is_normalised_outer_product():
    kernel = setup_filter((1, 3, 3, 1))
    expected = torch.tensor([1.0, 3, 3, 1])[:, None] * torch.tensor([1.0, 3, 3, 1])[None] / 64
    assert torch.allclose(kernel, expected)


def test_resampling_keeps_constants_away_from_borders():
    kernel = setup_filter().double()
    ones = torch.ones(1, 2, 8, 8, dtype=torch.float64)
    up = upsample2d(ones, kernel)
    assert up.shape == (1, 2, 16, 16) and torch.allclose(up[..., 2:-2, 2:-2], torch.ones(1, dtype=torch.float64), atol=1e-12)
    down = downsample2d(ones, kernel)
    assert down.shape == (1, 2, 4, 4) and torch.allclose(down[..., 1:-1, 1:-1], torch.ones(1, dtype=torch.float64), atol=1e-12)


def test_fir_negative_padding_crops():
    x = torch.arange(36.0).reshape(1, 1, 6, 6)
    identity = torch.ones(1, 1)
    assert torch.equal(fir(x, identity, (-1, -2, -1, 0)), x[..., 1:, 1:4])
