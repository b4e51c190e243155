"""The network against an independent reference written from the StyleGAN2 paper's equations.

The reference below modulates and demodulates a weight per sample and runs one grouped
convolution per layer (the paper's "fused" formulation); resampling uses the literal
zero-insert / pad / FIR definitions. The network under test scales activations around one
shared convolution and uses transposed convolutions, so agreement checks the algebra, the
resampling alignment, the parameter naming and the W+ indexing together.
"""

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from invgen.plugin import plain_paths
from invgen_stylegan2.fast import ops as fast_ops, native, winograd
from invgen_stylegan2.network.layers import SynthesisLayer
from invgen_stylegan2.network.ops import fir, normalize_2nd_moment, zero_insert

from invgen_stylegan2.testing import make_network


def _dense(layer, x, lrelu=False):
    y = x @ (layer.weight * layer.weight_gain).t() + layer.bias * layer.bias_gain
    return F.leaky_relu(y, 0.2) * math.sqrt(2) if lrelu else y


def _upsample(x, kernel):
    return fir(zero_insert(x, 2), kernel, (2, 1, 2, 1), gain=4.0)


def _modconv(layer, x, w, noise_mode, demodulate=True, gain=1.0, up=False):
    styles = _dense(layer.affine, w)
    if not demodulate:
        styles = styles * layer.weight_gain
    weight = layer.weight[None] * styles[:, None, :, None, None]
    if demodulate:
        weight = weight / (weight.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8).sqrt()
    batch, out_channels = weight.shape[:2]
    k = weight.shape[-1]
    grouped = weight.reshape(batch * out_channels, *weight.shape[2:])
    if up:
        size = layer.resample_filter.shape[-1]
        before, after = k // 2 + (size + 1) // 2, k // 2 + (size - 2) // 2
        x = fir(zero_insert(x, 2), layer.resample_filter, (before, after, before, after), gain=4.0)
        y = F.conv2d(x.reshape(1, -1, *x.shape[2:]), grouped.flip([2, 3]), groups=batch)
    else:
        y = F.conv2d(x.reshape(1, -1, *x.shape[2:]), grouped, padding=k // 2, groups=batch)
    y = y.reshape(batch, out_channels, *y.shape[2:])
    if not demodulate:
        return y + layer.bias[None, :, None, None]
    if noise_mode == "const":
        y = y + layer.noise_const * layer.noise_strength
    y = F.leaky_relu(y + layer.bias[None, :, None, None], 0.2) * math.sqrt(2) * gain
    return y if layer.conv_clamp is None else y.clamp(-layer.conv_clamp * gain, layer.conv_clamp * gain)


def reference_synthesis(network, ws, noise_mode="const"):
    synthesis = network.synthesis
    x = img = None
    index = 0
    for res in synthesis.block_resolutions:
        block = getattr(synthesis, f"b{res}")
        if res == 4:
            x = block.const[None].expand(ws.shape[0], -1, -1, -1)
            x = _modconv(block.conv1, x, ws[:, index], noise_mode)
            index += 1
        else:
            first = _modconv(block.conv0, x, ws[:, index], noise_mode, up=True)
            if block.architecture == "resnet":
                skip = block.skip
                shortcut = _upsample(F.conv2d(x, skip.weight * skip.weight_gain), skip.resample_filter)
                x = shortcut * math.sqrt(0.5) + _modconv(block.conv1, first, ws[:, index + 1], noise_mode,
                                                         gain=math.sqrt(0.5))
            else:
                x = _modconv(block.conv1, first, ws[:, index + 1], noise_mode)
            index += 2
        if img is not None:
            img = _upsample(img, block.resample_filter)
        if block.num_torgb:
            rgb = _modconv(block.torgb, x, ws[:, index], noise_mode, demodulate=False)
            img = rgb if img is None else img + rgb
    return img


def reference_mapping(network, z):
    x = normalize_2nd_moment(z)
    for index in range(network.mapping.num_layers):
        x = _dense(getattr(network.mapping, f"fc{index}"), x, lrelu=True)
    return x


CASES = [(32, 1, "skip"), (32, 3, "resnet"), (64, 3, "skip"), (64, 1, "resnet"), (256, 1, "skip"),
         (256, 3, "resnet"), (1024, 3, "skip"), (1024, 1, "resnet"), (8, 3, "orig")]


@pytest.mark.parametrize(("resolution", "channels", "architecture"), CASES)
def test_synthesis_and_mapping_match_the_reference(resolution, channels, architecture):
    channel_max = 32 if resolution <= 64 else 8
    network, _ = make_network(resolution=resolution, channels=channels, architecture=architecture,
                              channel_max=channel_max, conv_clamp=256)
    z = torch.randn(2, network.z_dim, generator=torch.Generator().manual_seed(1))
    ws = network.mapping(z)
    assert torch.allclose(ws[:, 0], reference_mapping(network, z), atol=1e-5)
    assert torch.allclose(ws[:, 0], ws[:, -1])
    ws = ws + 0.3 * torch.randn(ws.shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        ours = network.synthesis(ws, noise_mode="const")
        theirs = reference_synthesis(network, ws)
    assert ours.shape == (2, channels, resolution, resolution)
    assert (ours - theirs).abs().max().item() < 1e-4


@pytest.mark.parametrize(("resolution", "num_ws"), [(4, 2), (8, 4), (32, 8), (256, 14), (1024, 18)])
def test_num_ws_per_resolution(resolution, num_ws):
    network, _ = make_network(resolution=resolution, channel_max=4)
    assert network.num_ws == num_ws


def test_noise_modes():
    network, _ = make_network()
    ws = network.mapping(torch.randn(1, network.z_dim))
    none, const = network.synthesis(ws, "none"), network.synthesis(ws, "const")
    torch.manual_seed(0)
    random_a = network.synthesis(ws, "random")
    random_b = network.synthesis(ws, "random")
    assert not torch.allclose(none, const) and not torch.allclose(random_a, random_b)
    assert torch.equal(const, network.synthesis(ws, "const"))
    with pytest.raises(ValueError, match="noise_mode must be one of"):
        network.synthesis(ws, "loud")


def test_truncation_pulls_to_w_avg():
    network, _ = make_network()
    z = torch.randn(3, network.z_dim)
    assert torch.allclose(network.mapping(z, truncation_psi=0.0), network.mapping.w_avg.expand(3, 8, -1))
    half = network.mapping(z, truncation_psi=0.5)
    assert torch.allclose(half, 0.5 * (network.mapping(z) + network.mapping.w_avg), atol=1e-6)


def test_wrong_latent_shape_is_explained():
    network, _ = make_network()
    with pytest.raises(ValueError, match=r"ws must be \[B, 8, 32\]"):
        network.synthesis(torch.zeros(1, 7, 32))


def test_gradients_reach_w():
    network, _ = make_network()
    ws = network.mapping(torch.randn(2, network.z_dim)).requires_grad_(True)
    network.synthesis(ws, "none").square().sum().backward()
    assert ws.grad.abs().sum(dim=2).min() > 0, "every layer's latent must receive a gradient"


def test_conditional_mapping_needs_labels():
    network, _ = make_network(c_dim=10)
    with pytest.raises(ValueError, match="class-conditional"):
        network.mapping(torch.randn(1, network.z_dim))
    labels = F.one_hot(torch.tensor([3]), 10).float()
    assert network.mapping(torch.randn(1, network.z_dim), labels).shape == (1, 8, 32)


PATHS = ("plain", "scaling", "fused")


def _synthesis_with_gradient(network, ws, path, noise_mode="const"):
    """The image and d(sum(image * probe))/d(ws) along ``path``; the probe is fixed."""
    ws = ws.clone().requires_grad_(True)
    if path == "plain":
        with plain_paths():
            image = network.synthesis(ws, noise_mode=noise_mode)
    elif path == "reference":
        image = reference_synthesis(network, ws, noise_mode)
    else:
        network.synthesis.set_modconv_form(path)
        image = network.synthesis(ws, noise_mode=noise_mode)
        network.synthesis.set_modconv_form("auto")
    probe = torch.randn(image.shape, generator=torch.Generator().manual_seed(3))
    (image * probe).sum().backward()
    return image.detach(), ws.grad


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize(("resolution", "channels", "architecture", "noise_mode"),
                         [(64, 3, "skip", "const"), (32, 1, "resnet", "none"), (1024, 1, "skip", "none")])
def test_every_path_matches_the_reference_with_its_gradient(path, batch, resolution, channels, architecture,
                                                            noise_mode):
    """Images within 1e-4 of the reference equations in float64; gradients as close as the reference's own in
    float32 (at 1024 px a float32 sum over a million pixels is itself ~3e-4 off in relative norm)."""
    network, _ = make_network(resolution=resolution, channels=channels, architecture=architecture,
                              channel_max=32 if resolution <= 64 else 8, conv_clamp=256)
    z = torch.randn(batch, network.z_dim, generator=torch.Generator().manual_seed(1))
    ws = network.mapping(z) + 0.3 * torch.randn(batch, network.num_ws, network.w_dim,
                                                generator=torch.Generator().manual_seed(2))
    exact, exact_grad = _synthesis_with_gradient(copy.deepcopy(network).double(), ws.double(), "reference", noise_mode)
    _, float32_grad = _synthesis_with_gradient(network, ws, "reference", noise_mode)
    ours, our_grad = _synthesis_with_gradient(network, ws, path, noise_mode)

    def relative(grad):
        return ((grad.double() - exact_grad).norm() / exact_grad.norm()).item()

    assert (ours.double() - exact).abs().max().item() < 1e-4
    assert relative(our_grad) < max(1e-4, 2 * relative(float32_grad))


def _latents_away_from_kinks(network, batch, noise_mode, margin=1e-6):
    """Latents whose every leaky-ReLU input (in float64, relative to its layer's largest) is at least ``margin``
    from 0. At a kink the gradient jumps (slope 1 vs 0.2), so one pre-activation within float32 rounding of it
    moves a whole gradient by ~1e-3 whichever way the convolution is computed: such latents test the rounding's
    luck, not the algebra. Seeds are tried in order; the margin is the reference's, so the same on any machine."""
    for seed in range(2, 50):
        z = torch.randn(batch, network.z_dim, generator=torch.Generator().manual_seed(1))
        ws = network.mapping(z) + 0.3 * torch.randn(batch, network.num_ws, network.w_dim,
                                                    generator=torch.Generator().manual_seed(seed))
        closest, real = [], F.leaky_relu

        def recorded(x, slope=0.01):
            closest.append((x.abs().min() / x.abs().max()).item())
            return real(x, slope)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(F, "leaky_relu", recorded)
            reference_synthesis(copy.deepcopy(network).double(), ws.double(), noise_mode)
        if min(closest) > margin:
            return ws
    raise AssertionError(f"no latents with every pre-activation {margin} away from the kink in 48 seeds")


@pytest.mark.parametrize("transforms", ["torch", "native"])
@pytest.mark.parametrize(("batch", "resolution", "architecture", "noise_mode"),  # batches of 3 at 32 px: at 64 px
                         [(1, 64, "skip", "const"), (3, 32, "skip", "const"),  # few latents keep every one of
                          (1, 32, "resnet", "none"), (3, 32, "resnet", "none")])  # 393k pre-activations off the kink
def test_the_winograd_form_matches_the_reference_with_its_gradient(batch, resolution, architecture, noise_mode,
                                                                    transforms, monkeypatch):
    """As above, for a frozen network whose 3x3 convolutions all go through Winograd (the thresholds lowered to
    this small network's sizes), with PyTorch's tile transforms and with the C kernels', which the test checks
    were the ones used."""
    if transforms == "native" and native.library() is None:
        pytest.skip(f"no C kernels on this machine: {native.status()}")
    if transforms == "torch":
        monkeypatch.setattr(winograd, "native_transforms", lambda *channels: False)
    for name, value in (("WINOGRAD_MIN_CHANNELS", 1), ("WINOGRAD_MIN_CHANNELS_NATIVE", 1), ("WINOGRAD_MIN_SIZE", 4),
                        ("WINOGRAD_MIN_WORK", 1)):
        monkeypatch.setattr(fast_ops, name, value)
    calls, real = [], getattr(winograd, f"_conv3x3_{transforms}")

    def counted(x, kernels):
        calls.append(x.shape)
        return real(x, kernels)
    monkeypatch.setattr(winograd, f"_conv3x3_{transforms}", counted)
    network, _ = make_network(resolution=resolution, channels=3, architecture=architecture, channel_max=32,
                              conv_clamp=256)
    network.requires_grad_(False)
    ws = _latents_away_from_kinks(network, batch, noise_mode)
    exact, exact_grad = _synthesis_with_gradient(copy.deepcopy(network).double(), ws.double(), "reference", noise_mode)
    _, float32_grad = _synthesis_with_gradient(network, ws, "reference", noise_mode)
    ours, our_grad = _synthesis_with_gradient(network, ws, "winograd", noise_mode)
    layers = sum(1 for m in network.synthesis.modules() if isinstance(m, SynthesisLayer) and m.up == 1)
    assert len(calls) == 2 * layers  # forward and input gradient of every layer without up-sampling
    assert (ours.double() - exact).abs().max().item() < 1e-4
    relative = ((our_grad.double() - exact_grad).norm() / exact_grad.norm()).item()
    assert relative < max(1e-4, 2 * ((float32_grad.double() - exact_grad).norm() / exact_grad.norm()).item())


def test_a_bfloat16_step_convolves_its_wide_layers_in_float32_through_the_c_transforms(monkeypatch):
    """Under a bfloat16 autocast the ``winograd`` form hands bfloat16 activations to the C transforms (thresholds
    lowered to this small network) and is no further from the float64 reference than the bfloat16 direct
    convolutions of the ``scaling`` form, image and gradient."""
    if native.library() is None:
        pytest.skip(f"no C kernels on this machine: {native.status()}")
    for name, value in (("WINOGRAD_BF16_MIN_CHANNELS", 1), ("WINOGRAD_BF16_MIN_PIXELS", 1), ("WINOGRAD_MIN_SIZE", 4)):
        monkeypatch.setattr(fast_ops, name, value)
    dtypes, real = [], winograd._conv3x3_native

    def counted(x, kernels):
        dtypes.append(x.dtype)
        return real(x, kernels)
    monkeypatch.setattr(winograd, "_conv3x3_native", counted)
    network, _ = make_network(resolution=32, channels=3, channel_max=32)
    ws = network.mapping(torch.randn(2, network.z_dim, generator=torch.Generator().manual_seed(1)))
    exact, exact_grad = _synthesis_with_gradient(copy.deepcopy(network).double(), ws.double(), "reference")
    errors = {}
    for form in ("scaling", "winograd"):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            image, grad = _synthesis_with_gradient(network, ws, form)
        errors[form] = [((a.double() - b).norm() / b.norm()).item() for a, b in ((image, exact), (grad, exact_grad))]
    layers = sum(1 for m in network.synthesis.modules() if isinstance(m, SynthesisLayer) and m.up == 1)
    assert dtypes == [torch.bfloat16] * (2 * layers)
    assert all(w <= 1.2 * s for w, s in zip(errors["winograd"], errors["scaling"])), errors
    assert errors["winograd"][0] < 2e-2 and errors["winograd"][1] < 0.1, errors  # bfloat16's own error


def test_an_unknown_modconv_form_is_refused():
    network, _ = make_network(resolution=8)
    with pytest.raises(ValueError, match="modconv must be one of auto|fused|scaling"):
        network.synthesis.set_modconv_form("grouped")
