"""Winograd's F(4x4, 3x3), with PyTorch's tile transforms and with the C kernels', against the direct convolution
(PyTorch's own, a different algorithm) and its gradient against finite differences."""

import pytest
import torch
import torch.nn.functional as F

from invgen_stylegan2.fast import native, winograd


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


def _native_or_skip() -> None:
    if native.library() is None:
        pytest.skip(f"no C kernels on this machine: {native.status()}")


@pytest.mark.parametrize("transforms", ["torch", "native"])
def test_in_float32_it_is_within_a_few_units_of_1e6_of_the_exact_convolution(transforms):
    if transforms == "native":
        _native_or_skip()
    rng = torch.Generator().manual_seed(1)
    x = torch.randn(1, 64, 32, 32, generator=rng).contiguous(memory_format=torch.channels_last)
    weight = torch.randn(64, 64, 3, 3, generator=rng) / 24
    exact = F.conv2d(x.double(), weight.double(), padding=1)
    y = getattr(winograd, f"_conv3x3_{transforms}")(x, winograd.transform_weight(weight))
    assert y.dtype == torch.float32 and y.is_contiguous(memory_format=torch.channels_last)
    assert ((y.double() - exact).norm() / exact.norm()).item() < 2e-5


@pytest.mark.parametrize(("batch", "size", "channels"), [(1, (8, 8), (16, 32)), (2, (7, 10), (32, 16)),
                                                         (1, (1, 5), (16, 16)), (3, (13, 4), (48, 32))],
                         ids=["whole-tiles", "partial", "one-row", "batch-of-3"])
def test_the_c_transforms_are_used_and_exact_at_any_size(batch, size, channels):
    """Partial tiles at the bottom and right edges, a batch, and NCHW input (made channels-last inside)."""
    _native_or_skip()
    rng = torch.Generator().manual_seed(3)
    x = torch.randn(batch, channels[0], *size, generator=rng)
    weight = torch.randn(channels[1], channels[0], 3, 3, generator=rng) / 12
    assert winograd.native_transforms(*channels[::-1])
    y = winograd.conv3x3(x, winograd.transform_weight(weight))
    exact = F.conv2d(x.double(), weight.double(), padding=1)
    assert y.shape == exact.shape and y.is_contiguous(memory_format=torch.channels_last)
    assert ((y.double() - exact).norm() / exact.norm()).item() < 2e-5
    by_torch = winograd._conv3x3_torch(x, winograd.transform_weight(weight))
    assert ((y - by_torch).norm() / by_torch.norm()).item() < 1e-5


def test_channels_that_are_not_multiples_of_16_take_the_pytorch_transforms(monkeypatch):
    calls = []
    monkeypatch.setattr(winograd, "_conv3x3_native", lambda *args: calls.append(args))
    assert not winograd.native_transforms(24, 16) and not winograd.native_transforms(16, 8)
    rng = torch.Generator().manual_seed(4)
    x, weight = torch.randn(1, 24, 8, 8, generator=rng), torch.randn(8, 24, 3, 3, generator=rng)
    y = winograd.conv3x3(x, winograd.transform_weight(weight))
    exact = F.conv2d(x.double(), weight.double(), padding=1)
    assert not calls and ((y.double() - exact).norm() / exact.norm()).item() < 2e-5


def test_the_c_transforms_give_the_same_bits_on_any_number_of_threads():
    _native_or_skip()
    kernels = native.library()
    rng = torch.Generator().manual_seed(5)
    x = torch.randn(2, 32, 18, 22, generator=rng).contiguous(memory_format=torch.channels_last)
    count = 2 * 5 * 6
    results = []
    for threads in (1, 2, 3):
        tiles = torch.full((count, 36, 32), float("nan"))
        assert kernels.winograd_input_tiles(x.data_ptr(), tiles.data_ptr(), 2, 18, 22, 32, threads, 0) == 0
        y = torch.full((2, 32, 18, 22), float("nan")).contiguous(memory_format=torch.channels_last)
        assert kernels.winograd_output_blocks(tiles.data_ptr(), y.data_ptr(), 2, 18, 22, 32, threads, 0) == 0
        results.append((tiles, y))
    assert not results[0][0].isnan().any() and not results[0][1].isnan().any()  # every element written
    for tiles, y in results[1:]:
        assert torch.equal(tiles, results[0][0]) and torch.equal(y, results[0][1])


def test_the_c_kernels_refuse_channels_they_cannot_take():
    _native_or_skip()
    tiles = torch.zeros(1, 36, 24)
    assert native.library().winograd_input_tiles(tiles.data_ptr(), tiles.data_ptr(), 1, 4, 4, 24, 1, 0) == -1


def test_the_c_transforms_give_the_input_gradient():
    _native_or_skip()
    rng = torch.Generator().manual_seed(6)
    x = torch.randn(2, 32, 9, 11, generator=rng)
    weight = torch.randn(16, 32, 3, 3, generator=rng) / 12
    grad = torch.randn(2, 16, 9, 11, generator=rng)
    kernels = weight, winograd.transform_weight(weight), winograd.transform_weight(weight.flip(2, 3).transpose(0, 1))
    ours = x.clone().requires_grad_(True)
    (winograd.FrozenConv3x3.apply(ours, *kernels) * grad).sum().backward()
    exact = x.double().requires_grad_(True)
    (F.conv2d(exact, weight.double(), padding=1) * grad.double()).sum().backward()
    assert ((ours.grad.double() - exact.grad).norm() / exact.grad.norm()).item() < 2e-5


def test_the_frozen_convolution_has_the_numerical_gradient_to_its_input():
    rng = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 6, 5, dtype=torch.float64, generator=rng, requires_grad=True)
    weight = torch.randn(4, 3, 3, 3, dtype=torch.float64, generator=rng)
    kernels = weight, winograd.transform_weight(weight), winograd.transform_weight(weight.flip(2, 3).transpose(0, 1))
    assert torch.autograd.gradcheck(lambda x: winograd.FrozenConv3x3.apply(x, *kernels), (x,))


def _frozen(channels: int = 16, seed: int = 7) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    rng = torch.Generator().manual_seed(seed)
    weight = torch.randn(channels, channels, 3, 3, generator=rng) / 12
    kernels = weight, winograd.transform_weight(weight), winograd.transform_weight(weight.flip(2, 3).transpose(0, 1))
    return torch.randn(3, channels, 6, 9, generator=rng), kernels


def test_under_vmap_it_is_the_direct_convolution():
    """torch.vmap cannot follow the tiles' strided views (nor read C memory): per sample, the same result."""
    x, kernels = _frozen()
    batched = torch.vmap(lambda sample: winograd.FrozenConv3x3.apply(sample[None], *kernels)[0])(x)
    assert torch.allclose(batched, F.conv2d(x, kernels[0], padding=1), atol=1e-5)


def test_batched_gradients_are_the_gradients_one_by_one():
    """A Jacobian's rows as one batched gradient (the data-aligned basis of VI does this) pass the direct
    convolution's transpose through the older vmap."""
    x, kernels = _frozen()
    x.requires_grad_(True)
    y = winograd.FrozenConv3x3.apply(x, *kernels)
    directions = torch.randn(4, *y.shape, generator=torch.Generator().manual_seed(8))
    (batched,) = torch.autograd.grad(y, x, directions, is_grads_batched=True, retain_graph=True)
    one_by_one = torch.stack([torch.autograd.grad(y, x, d, retain_graph=True)[0] for d in directions])
    assert torch.allclose(batched, one_by_one, atol=1e-5)


def test_bfloat16_activations_are_convolved_in_float32_and_rounded_once():
    """The C kernels read bfloat16 exactly and round the float32 result to nearest even (PyTorch's rounding):
    the result is the float32 Winograd convolution of the same bfloat16 input, cast (at most one rounding
    apart where the two float32 sums straddle a rounding boundary)."""
    _native_or_skip()
    rng = torch.Generator().manual_seed(9)
    x = torch.randn(2, 32, 10, 7, generator=rng).to(torch.bfloat16)
    weight = torch.randn(16, 32, 3, 3, generator=rng) / 12
    transformed = winograd.transform_weight(weight)
    y = winograd.conv3x3(x, transformed)
    assert y.dtype == torch.bfloat16 and y.is_contiguous(memory_format=torch.channels_last)
    in_float32 = winograd._conv3x3_torch(x.float(), transformed)
    rounded = in_float32.to(torch.bfloat16)
    assert (y != rounded).float().mean().item() < 0.01
    assert ((y.float() - rounded.float()).abs() <= rounded.float().abs() * 2**-7).all()
    exact = F.conv2d(x.double(), weight.double(), padding=1)
    assert ((y.double() - exact).norm() / exact.norm()).item() < 2**-8  # bfloat16's own rounding, no more


def test_the_bfloat16_kernels_round_as_pytorch_does():
    """Halfway cases, overflow to infinity, infinities, a subnormal and NaN, through the output kernel with a
    tile of products whose only non-zero entry maps to the one output pixel (its sums add zeros only)."""
    _native_or_skip()
    values = torch.tensor([1.0, 1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8), 3.3895e38, float("inf"), float("-inf"),
                           float("nan"), 1e-40, 0.0, 2.5, 1 / 3, -7.1, 65504.0, 1e-3, 123456.0])
    products = torch.zeros(1, 36, 16)
    products[0, 0] = values  # position (0, 0) reaches output (0, 0) with weight 1 only (A^T's first row and column)
    y = torch.empty(1, 16, 1, 1, dtype=torch.bfloat16).contiguous(memory_format=torch.channels_last)
    assert native.library().winograd_output_blocks(products.data_ptr(), y.data_ptr(), 1, 1, 1, 16, 1, 1) == 0
    expected = values.to(torch.bfloat16)
    got = y.flatten()
    assert torch.equal(got.view(torch.int16)[~values.isnan()], expected.view(torch.int16)[~values.isnan()])
    assert got[values.isnan()].isnan().all()
