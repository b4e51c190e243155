"""The fast path's resampling against the plain ops (themselves tested against their literal definitions)."""

import pytest
import torch

from invgen_stylegan2 import fast_ops, ops


@pytest.mark.parametrize("taps", [(1, 3, 3, 1), (1, 1), (1, 2, 4, 4, 2, 1)])
def test_transposed_upsampling_equals_zero_insertion_and_fir(taps):
    kernel = ops.setup_filter(taps).double()
    x = torch.randn(2, 3, 5, 7, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected = ops.upsample2d(x, kernel)
    assert fast_ops.upsample2d(x, kernel).shape == expected.shape == (2, 3, 10, 14)
    assert torch.allclose(fast_ops.upsample2d(x, kernel), expected, atol=1e-12)


def test_up_convolution_with_the_convolutions_padding_equals_the_plain_one():
    kernel = ops.setup_filter().double()
    rng = torch.Generator().manual_seed(1)
    x = torch.randn(2, 5, 6, 6, dtype=torch.float64, generator=rng)
    weight = torch.randn(7, 5, 3, 3, dtype=torch.float64, generator=rng)
    assert fast_ops.supports_up2(weight, kernel)
    assert torch.allclose(fast_ops.conv2d_up2(x, weight, kernel), ops.conv2d_up2(x, weight, kernel), atol=1e-12)


def test_odd_filters_are_left_to_the_plain_path():
    assert not fast_ops.supports_up2(torch.zeros(4, 4, 3, 3), ops.setup_filter((1, 2, 1)))


def test_negative_padding_crops_like_the_plain_fir():
    x = torch.arange(64.0).reshape(1, 1, 8, 8)
    kernel = ops.setup_filter((1, 1))
    assert torch.equal(fast_ops.fir_padded(x, kernel, -1, 1.0), ops.fir(x, kernel, (-1, -1, -1, -1)))
