"""The fast path's resampling against the plain ops (themselves tested against their literal definitions), and its
kept copies of frozen weights, biases and filters."""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from invgen.plugin import plain_paths
from invgen_stylegan2.fast import ops as fast_ops, winograd
from invgen_stylegan2.network import ops
from invgen_stylegan2.testing import make_network


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
    fast = fast_ops.conv2d_up2(x, weight.transpose(0, 1), kernel)
    assert torch.allclose(fast, ops.conv2d_up2(x, weight, kernel), atol=1e-12)


def test_odd_filters_are_left_to_the_plain_path():
    assert not fast_ops.supports_up2(torch.zeros(4, 4, 3, 3), ops.setup_filter((1, 2, 1)))


def test_negative_padding_crops_like_the_plain_fir():
    x = torch.arange(64.0).reshape(1, 1, 8, 8)
    kernel = ops.setup_filter((1, 1))
    assert torch.equal(fast_ops.fir_padded(x, kernel, -1, 1.0), ops.fir(x, kernel, (-1, -1, -1, -1)))


def _squares(weight: torch.Tensor) -> torch.Tensor:
    """The [I, O] sums of squares over the kernel, by numpy."""
    return torch.from_numpy((weight.detach().double().numpy() ** 2).sum(axis=(2, 3)).T)


@pytest.mark.parametrize("transposed", [False, True])
def test_a_frozen_weight_is_cast_and_laid_out_once(transposed):
    weight = torch.randn(6, 4, 3, 3)
    cast, squares = fast_ops.frozen_weight(weight, torch.bfloat16, channels_last=True, transposed=transposed)
    expected = weight.transpose(0, 1) if transposed else weight
    assert cast.dtype == torch.bfloat16 and cast.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(cast, expected.to(torch.bfloat16))
    assert torch.allclose(squares.double(), _squares(weight.to(torch.bfloat16)), rtol=1e-2)
    again, _ = fast_ops.frozen_weight(weight, torch.bfloat16, channels_last=True, transposed=transposed)
    assert again is cast


def test_a_frozen_weight_changed_in_place_is_prepared_again():
    weight = torch.randn(5, 3, 3, 3)
    first, _ = fast_ops.frozen_weight(weight, torch.float32, channels_last=True)  # a copy
    with torch.no_grad():
        weight.mul_(2)
    second, squares = fast_ops.frozen_weight(weight, torch.float32, channels_last=True)
    assert second is not first and torch.equal(second, weight)
    assert torch.allclose(squares.double(), _squares(weight), rtol=1e-6)


def test_a_trainable_weight_is_not_kept_and_gets_its_gradient():
    weight = torch.randn(5, 3, 3, 3, requires_grad=True)
    cast, squares = fast_ops.frozen_weight(weight, torch.float32, channels_last=True)
    assert id(weight) not in fast_ops._FROZEN
    (cast.sum() + squares.sum()).backward()
    assert torch.allclose(weight.grad, 1 + 2 * weight.detach())


@pytest.mark.parametrize("channels_last", [True, False], ids=["copied", "as-is"])
def test_a_kept_weight_is_forgotten_with_its_weight(channels_last):
    weight = torch.randn(4, 4, 3, 3)
    fast_ops.frozen_weight(weight, torch.float32, channels_last=channels_last)  # as-is: float32 needs no copy
    identity = id(weight)
    assert identity in fast_ops._FROZEN
    del weight
    assert identity not in fast_ops._FROZEN


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("shift_shape", [(1, 4, 1, 1), (1, 4, 5, 6)], ids=["bias", "bias-and-noise"])
def test_the_scale_shift_activation_has_the_numerical_gradient(batch, shift_shape):
    rng = torch.Generator().manual_seed(4)
    y = torch.randn(batch, 4, 5, 6, dtype=torch.float64, generator=rng, requires_grad=True)
    scale = (torch.rand(batch, 4, 1, 1, dtype=torch.float64, generator=rng) + 0.5).requires_grad_(True)
    shift = torch.randn(*shift_shape, dtype=torch.float64, generator=rng).requires_grad_(True)
    assert torch.autograd.gradcheck(fast_ops.ScaleShiftLeakyReLU.apply, (y, scale, shift))
    expected = torch.where(y * scale + shift > 0, y * scale + shift, 0.2 * (y * scale + shift))
    assert torch.equal(fast_ops.ScaleShiftLeakyReLU.apply(y, scale, shift), expected)


def _wide(channels: int = 256, size: int = 32, dtype: torch.dtype = torch.float32, batch: int = 1
          ) -> tuple[torch.Tensor, ...]:
    return (torch.zeros(batch, channels, size, size, dtype=dtype),
            torch.zeros(channels, channels, 3, 3, dtype=dtype))


@pytest.mark.parametrize("native_transforms", [False, True], ids=["pytorch-transforms", "c-transforms"])
def test_winograd_is_used_for_wide_frozen_float32_convolutions_only(native_transforms, monkeypatch):
    monkeypatch.setattr(winograd, "native_transforms", lambda *channels: native_transforms)
    x, weight = _wide()
    assert fast_ops.uses_winograd(x, weight, up=False)
    assert not fast_ops.uses_winograd(x, weight, up=True)
    assert fast_ops.uses_winograd(*_wide(channels=128, size=64), up=False) is native_transforms
    assert not fast_ops.uses_winograd(*_wide(channels=128), up=False)  # 128 x 32 x 32: too little work
    assert not fast_ops.uses_winograd(*_wide(channels=64, size=128), up=False)
    assert not fast_ops.uses_winograd(*_wide(size=16), up=False)  # 256 x 16 x 16
    assert fast_ops.uses_winograd(*_wide(size=16, batch=4), up=False)  # 256 x 4 x 16 x 16
    assert not fast_ops.uses_winograd(*_wide(size=8, batch=16), up=False)  # too small a side
    assert not fast_ops.uses_winograd(*_wide(dtype=torch.bfloat16), up=False)  # a bfloat16 weight
    assert not fast_ops.uses_winograd(x, weight.requires_grad_(True), up=False)
    bf16_x, float_weight = _wide(size=64)[0].bfloat16(), _wide()[1]
    assert not fast_ops.uses_winograd(bf16_x, float_weight, up=False)  # bfloat16 outside autocast
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert not fast_ops.uses_winograd(*_wide(), up=False)
        # in a bfloat16 step, the widest layers in float32 through the C transforms only
        assert fast_ops.uses_winograd(bf16_x, float_weight, up=False) is native_transforms
        assert not fast_ops.uses_winograd(_wide(size=32)[0].bfloat16(), float_weight, up=False)
        assert not fast_ops.uses_winograd(_wide(channels=128, size=64)[0].bfloat16(), _wide(channels=128)[1], up=False)


def test_winograd_weights_are_made_once_beside_the_cast_and_dropped_with_the_weight():
    rng = torch.Generator().manual_seed(5)
    weight = torch.randn(4, 3, 3, 3, generator=rng)
    forward, flipped = fast_ops.winograd_weights(weight)
    assert fast_ops.winograd_weights(weight)[0] is forward
    cast, _ = fast_ops.frozen_weight(weight, torch.bfloat16, channels_last=True)
    assert fast_ops.winograd_weights(weight)[1] is flipped  # the cast did not replace them
    x = torch.randn(1, 3, 6, 6, dtype=torch.float64, generator=rng)
    exact = torch.nn.functional.conv2d(x, weight.double(), padding=1)
    assert ((winograd.conv3x3(x.float(), forward).double() - exact).norm() / exact.norm()).item() < 2e-5
    identity = id(weight)
    del weight, cast
    assert identity not in fast_ops._FROZEN


def test_the_spec_offers_every_form_of_the_modulated_convolution():
    from invgen_stylegan2.hooks import MODCONV

    assert MODCONV.choices == fast_ops.MODCONV_FORMS


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_a_frozen_tensor_is_scaled_and_cast_once(flip, dtype):
    kernel = torch.randn(3, 4, generator=torch.Generator().manual_seed(6))
    scaled = fast_ops.frozen_scaled(kernel, 2.5, dtype, flip=flip)
    expected = kernel.numpy()[::-1, ::-1] * 2.5 if flip else kernel.numpy() * 2.5
    assert scaled.dtype == dtype
    assert torch.equal(scaled, torch.from_numpy(expected.copy()).to(dtype))
    assert fast_ops.frozen_scaled(kernel, 2.5, dtype, flip=flip) is scaled
    assert fast_ops.frozen_scaled(kernel, 3.0, dtype, flip=flip) is not scaled  # another gain: made apart


def test_a_trainable_tensor_is_scaled_every_time_and_gets_its_gradient():
    bias = torch.randn(5, requires_grad=True)
    fast_ops.frozen_scaled(bias, 3.0, torch.float32).sum().backward()
    assert id(bias) not in fast_ops._FROZEN
    assert torch.equal(bias.grad, torch.full((5,), 3.0))


def test_the_step_dtype_is_autocasts_where_it_is_on():
    x = torch.zeros(2, 3)
    assert fast_ops.step_dtype(x) == torch.float32
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert fast_ops.step_dtype(x) == torch.bfloat16
        assert fast_ops.step_dtype(torch.zeros(2, dtype=torch.int64)) == torch.int64


PREPARATIONS = {torch.ops.aten._to_copy, torch.ops.aten.mul, torch.ops.aten.flip, torch.ops.aten.pow,
                torch.ops.aten.sum, torch.ops.aten.clone, torch.ops.aten.copy_}


class _PreparationsOf(TorchDispatchMode):
    """Records the casts, scalings, flips, squares, sums and copies that read the memory of one of ``tensors``."""

    def __init__(self, tensors: list[torch.Tensor]) -> None:
        super().__init__()
        self.pointers = {tensor.untyped_storage().data_ptr() for tensor in tensors}
        self.found: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.overloadpacket in PREPARATIONS and any(
                isinstance(arg, torch.Tensor) and arg.untyped_storage().data_ptr() in self.pointers for arg in args):
            self.found.append(str(func))
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_frozen_generator_prepares_none_of_its_tensors_after_the_first_step(precision):
    network, _ = make_network(resolution=16, channel_max=16)
    ws = torch.randn(2, network.num_ws, network.w_dim)

    def step() -> None:
        w = ws.clone().requires_grad_(True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            image = network.synthesis(w, noise_mode="none")
        image.float().square().mean().backward()

    step()
    tensors = list(network.parameters()) + list(network.buffers())
    with _PreparationsOf(tensors) as fast:
        step()
    assert fast.found == []
    with plain_paths(), _PreparationsOf(tensors) as plain:  # the check can fail: the plain path prepares them
        step()
    assert len(plain.found) > 20
