"""StyleGAN2 layers with equalised learning rate; parameter names match NVIDIA's checkpoints.

Shapes: dense layers map ``[B, in]`` -> ``[B, out]``; convolutions ``[B, C, H, W]``.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from invgen.plugin import fast_paths
from invgen_stylegan2.fast import ops as fast_ops
from invgen_stylegan2.network.ops import LRELU_GAIN, bias_act, conv2d_down2, conv2d_up2, setup_filter, upsample2d

NOISE_MODES = ("none", "const", "random")


class FullyConnectedLayer(nn.Module):
    """Dense layer; weights stored divided by ``lr_multiplier`` and rescaled at run time."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, lrelu: bool = False,
                 lr_multiplier: float = 1.0, bias_init: float = 0.0) -> None:
        super().__init__()
        self.lrelu = lrelu
        weight = torch.randn(out_features, in_features)
        if not weight.is_meta:  # laid out on the meta device (checkpoints/budget.py), an operation would load
            weight /= lr_multiplier  # PyTorch's meta kernels (150 MB, over a second) to scale no values
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: Tensor, gain: float = 1.0) -> Tensor:
        """The layer's output times ``gain`` (> 0: leaky ReLU is positively homogeneous), folded into the kept
        weight and bias on the fast path."""
        if fast_paths():
            dtype = fast_ops.step_dtype(x)
            weight = fast_ops.frozen_scaled(self.weight, self.weight_gain * gain, dtype)
            bias = None if self.bias is None else fast_ops.frozen_scaled(self.bias, self.bias_gain * gain, dtype)
        else:
            weight = self.weight.to(x.dtype) * self.weight_gain
            bias = None if self.bias is None else self.bias.to(x.dtype) * self.bias_gain
            if gain != 1:
                return self._dense(x, weight, bias) * gain
        return self._dense(x, weight, bias)

    def _dense(self, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        if not self.lrelu:
            return F.linear(x, weight, bias)
        return bias_act(x.matmul(weight.t()), bias, lrelu=True, gain=LRELU_GAIN)


class Conv2dLayer(nn.Module):
    """Plain convolution with optional 2x FIR resampling, bias and leaky ReLU (skips and the discriminator)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 lrelu: bool = False, up: int = 1, down: int = 1, resample_filter: Sequence[float] = (1, 3, 3, 1),
                 conv_clamp: float | None = None) -> None:
        super().__init__()
        self.lrelu, self.up, self.down, self.conv_clamp = lrelu, up, down, conv_clamp
        self.register_buffer("resample_filter", setup_filter(resample_filter))
        self.padding = kernel_size // 2
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None

    def forward(self, x: Tensor, gain: float = 1.0) -> Tensor:
        weight = (self.weight * self.weight_gain).to(x.dtype)
        if self.up == 2:
            if weight.shape[-1] == 1:
                x = upsample2d(F.conv2d(x, weight), self.resample_filter)
            else:
                x = conv2d_up2(x, weight, self.resample_filter)
        elif self.down == 2:
            x = conv2d_down2(x, weight, self.resample_filter)
        else:
            x = F.conv2d(x, weight, padding=self.padding)
        act_gain = (LRELU_GAIN if self.lrelu else 1.0) * gain
        clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        return bias_act(x, self.bias, lrelu=self.lrelu, gain=act_gain, clamp=clamp)


def modulated_conv2d(x: Tensor, weight: Tensor, styles: Tensor, demodulate: bool, up: bool = False,
                     resample_filter: Tensor | None = None) -> Tensor:
    """Convolve ``x [B, I, H, W]`` with ``weight [O, I, k, k]`` modulated per sample by ``styles [B, I]``.

    Computed by scaling activations before and after one shared convolution (no per-sample
    weights): demodulation divides output channel o by sqrt(sum_i s_i^2 sum_kk W_oikk^2 + 1e-8).
    """
    x = x * styles.to(x.dtype)[:, :, None, None]
    weight = weight.to(x.dtype)
    if up:
        x = conv2d_up2(x, weight, resample_filter)
    else:
        x = F.conv2d(x, weight, padding=weight.shape[-1] // 2)
    if demodulate:
        energy = styles.square().to(x.dtype) @ weight.square().sum(dim=(2, 3)).t()
        x = x * (energy + 1e-8).rsqrt()[:, :, None, None]
    return x


class SynthesisLayer(nn.Module):
    """Modulated 3x3 convolution (optionally 2x up), noise input, bias, leaky ReLU."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, kernel_size: int = 3,
                 up: int = 1, use_noise: bool = True, resample_filter: Sequence[float] = (1, 3, 3, 1),
                 conv_clamp: float | None = None) -> None:
        super().__init__()
        self.resolution, self.up, self.use_noise, self.conv_clamp = resolution, up, use_noise, conv_clamp
        self.modconv = "auto"  # the fast path's form of the modulated convolution: fast_ops.MODCONV_FORMS
        self.register_buffer("resample_filter", setup_filter(resample_filter))
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        if use_noise:
            self.register_buffer("noise_const", torch.randn(resolution, resolution))
            self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: Tensor, w: Tensor, noise_mode: str = "const", gain: float = 1.0) -> Tensor:
        styles = self.affine(w)
        clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        noise = self._noise(x, noise_mode)
        if fast_paths() and (self.up != 2 or fast_ops.supports_up2(self.weight, self.resample_filter)):
            return fast_ops.demodulated_conv_act(x, self.weight, styles, self.bias, LRELU_GAIN * gain, up=self.up == 2,
                                                 kernel=self.resample_filter, noise=noise, clamp=clamp,
                                                 form=self.modconv)
        x = modulated_conv2d(x, self.weight, styles, demodulate=True, up=self.up == 2,
                             resample_filter=self.resample_filter)
        if noise is not None:
            x = x + noise.to(x.dtype)
        return bias_act(x, self.bias, lrelu=True, gain=LRELU_GAIN * gain, clamp=clamp)

    def _noise(self, x: Tensor, noise_mode: str) -> Tensor | None:
        """The noise input added before the bias (None when off), broadcastable to the layer's output."""
        if not self.use_noise or noise_mode == "none":
            return None
        if noise_mode == "const":
            return self.noise_const * self.noise_strength
        return torch.randn(x.shape[0], 1, self.resolution, self.resolution, device=x.device,
                           dtype=x.dtype) * self.noise_strength


class ToRGBLayer(nn.Module):
    """Modulated 1x1 convolution to image channels, without demodulation."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel_size: int = 1,
                 conv_clamp: float | None = None) -> None:
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        styles = self.affine(w, gain=self.weight_gain)
        if fast_paths() and self.weight.shape[-1] == 1:
            return fast_ops.modulated_conv1x1(x, self.weight, styles, self.bias, clamp=self.conv_clamp)
        x = modulated_conv2d(x, self.weight, styles, demodulate=False)
        return bias_act(x, self.bias, lrelu=False, clamp=self.conv_clamp)
