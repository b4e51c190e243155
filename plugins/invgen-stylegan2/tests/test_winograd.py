"""Winograd's F(4x4, 3x3) against the direct convolution (PyTorch's own, a different algorithm) and its gradient
against finite differences."""

import pytest
import torch
import torch.nn.functional as F

from invgen_stylegan2 import winograd


@pytest.mark.parametrize(("batch", "size"), [(1, (8, 8)), (2, (7, 10)), (1, (1, 5))], ids=["whole-tiles", "partial",
                                                                                           "one-row"])
def test_it_is_the_padded_3x3_convolution_in_float64(batch, size):
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, *size, dtype=torch.float64, generator=rng)
    weight = torch.randn(5, 3, 3, 3, dtype=torch.float64, generator=rng)
    y = winograd.conv3x3(x, winograd.transform_weight(weight))
    expected = F.conv2d(x, weight, padding=1)
    assert y.shape == expected.shape and y.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(y, expected, rtol=0, atol=1e-11)


def test_in_float32_it_is_within_a_few_units_of_1e6_of_the_exact_convolution():
    rng = torch.Generator().manual_seed(1)
    x = torch.randn(1, 64, 32, 32, generator=rng).contiguous(memory_format=torch.channels_last)
    weight = torch.randn(64, 64, 3, 3, generator=rng) / 24
    exact = F.conv2d(x.double(), weight.double(), padding=1)
    y = winograd.conv3x3(x, winograd.transform_weight(weight))
    assert y.dtype == torch.float32
    assert ((y.double() - exact).norm() / exact.norm()).item() < 2e-5


def test_the_frozen_convolution_has_the_numerical_gradient_to_its_input():
    rng = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 6, 5, dtype=torch.float64, generator=rng, requires_grad=True)
    weight = torch.randn(4, 3, 3, 3, dtype=torch.float64, generator=rng)
    kernels = winograd.transform_weight(weight), winograd.transform_weight(weight.flip(2, 3).transpose(0, 1))
    assert torch.autograd.gradcheck(lambda x: winograd.FrozenConv3x3.apply(x, *kernels), (x,))
