"""The StyleGAN2 generator network: mapping (z -> w) and synthesis (W+ -> image).

Module and parameter names follow NVIDIA's stylegan2-ada-pytorch checkpoints, so their
state dicts load without renaming; constructor keywords accept their stored init kwargs.
Images are ``[B, C, R, R]`` (about [-1, 1]); latents ``ws`` are ``[B, num_ws, w_dim]``.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch
from torch import Tensor, nn

from invgen.plugin import fast_paths
from invgen_stylegan2.fast import ops as fast_ops
from invgen_stylegan2.network.layers import NOISE_MODES, Conv2dLayer, FullyConnectedLayer, SynthesisLayer, ToRGBLayer
from invgen_stylegan2.network.ops import normalize_2nd_moment, setup_filter, upsample2d

ARCHITECTURES = ("orig", "skip", "resnet")


class MappingNetwork(nn.Module):
    """z ``[B, z_dim]`` (and a one-hot class ``c [B, c_dim]``) -> w broadcast to ``[B, num_ws, w_dim]``."""

    def __init__(self, z_dim: int, c_dim: int, w_dim: int, num_ws: int, num_layers: int = 8,
                 embed_features: int | None = None, layer_features: int | None = None,
                 lr_multiplier: float = 0.01, w_avg_beta: float | None = 0.995, activation: str = "lrelu") -> None:
        super().__init__()
        if activation != "lrelu":
            raise ValueError(f"mapping activation {activation!r} is not supported (only lrelu)")
        self.z_dim, self.c_dim, self.w_dim, self.num_ws, self.num_layers = z_dim, c_dim, w_dim, num_ws, num_layers
        self.w_avg_beta = w_avg_beta
        embed = 0 if c_dim == 0 else (w_dim if embed_features is None else embed_features)
        hidden = w_dim if layer_features is None else layer_features
        features = [z_dim + embed] + [hidden] * (num_layers - 1) + [w_dim]
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed)
        for index in range(num_layers):
            layer = FullyConnectedLayer(features[index], features[index + 1], lrelu=True, lr_multiplier=lr_multiplier)
            setattr(self, f"fc{index}", layer)
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: Tensor, c: Tensor | None = None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, update_w_avg: bool = False) -> Tensor:
        parts = []
        if self.z_dim > 0:
            parts.append(normalize_2nd_moment(z.to(torch.float32)))
        if self.c_dim > 0:
            if c is None:
                raise ValueError(f"this generator is class-conditional: pass c of shape [B, {self.c_dim}]")
            parts.append(normalize_2nd_moment(self.embed(c.to(torch.float32))))
        x = torch.cat(parts, dim=1)
        for index in range(self.num_layers):
            x = getattr(self, f"fc{index}")(x)
        if update_w_avg and self.w_avg_beta is not None:
            self.w_avg.copy_(x.detach().float().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        x = x.unsqueeze(1).repeat(1, self.num_ws, 1)
        if truncation_psi != 1:
            cutoff = self.num_ws if truncation_cutoff is None else truncation_cutoff
            x[:, :cutoff] = self.w_avg.lerp(x[:, :cutoff], truncation_psi)
        return x


class SynthesisBlock(nn.Module):
    """One resolution: (2x up-sampling conv0), conv1, and toRGB (skip) / a 1x1 skip (resnet)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int,
                 is_last: bool, architecture: str = "skip", resample_filter: Sequence[float] = (1, 3, 3, 1),
                 conv_clamp: float | None = None, use_noise: bool = True) -> None:
        super().__init__()
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, not {architecture!r}")
        self.in_channels, self.resolution, self.architecture = in_channels, resolution, architecture
        self.register_buffer("resample_filter", setup_filter(resample_filter))
        layer = dict(w_dim=w_dim, resolution=resolution, resample_filter=resample_filter, conv_clamp=conv_clamp,
                     use_noise=use_noise)
        self.num_conv = 1 if in_channels == 0 else 2
        if in_channels == 0:
            self.const = nn.Parameter(torch.randn(out_channels, resolution, resolution))
        else:
            self.conv0 = SynthesisLayer(in_channels, out_channels, up=2, **layer)
        self.conv1 = SynthesisLayer(out_channels, out_channels, **layer)
        self.num_torgb = 1 if (is_last or architecture == "skip") else 0
        if self.num_torgb:
            self.torgb = ToRGBLayer(out_channels, img_channels, w_dim=w_dim, conv_clamp=conv_clamp)
        if in_channels != 0 and architecture == "resnet":
            self.skip = Conv2dLayer(in_channels, out_channels, kernel_size=1, bias=False, up=2,
                                    resample_filter=resample_filter)

    def forward(self, x: Tensor | None, img: Tensor | None, ws: Tensor, noise_mode: str) -> tuple[Tensor, Tensor | None]:
        latents = iter(ws.unbind(dim=1))
        if self.in_channels == 0:
            # channels-last from the start: the CPU convolutions run about 20% faster in that layout
            const = fast_ops.frozen_scaled(self.const, 1.0, ws.dtype) if fast_paths() else self.const
            x = const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1).contiguous(memory_format=torch.channels_last)
            x = self.conv1(x, next(latents), noise_mode)
        elif self.architecture == "resnet":
            shortcut = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x, next(latents), noise_mode)
            x = shortcut + self.conv1(x, next(latents), noise_mode, gain=math.sqrt(0.5))
        else:
            x = self.conv0(x, next(latents), noise_mode)
            x = self.conv1(x, next(latents), noise_mode)
        if img is not None:
            even = self.resample_filter.shape[-1] % 2 == 0
            img = (fast_ops.upsample2d if fast_paths() and even else upsample2d)(img, self.resample_filter)
        if self.num_torgb:
            rgb = self.torgb(x, next(latents)).to(torch.float32)
            img = rgb if img is None else img + rgb
        return x, img


class SynthesisNetwork(nn.Module):
    """W+ latents ``[B, num_ws, w_dim]`` -> images, through one block per resolution 4, 8, ..., R."""

    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, channel_base: int = 32768,
                 channel_max: int = 512, architecture: str = "skip", conv_clamp: float | None = None,
                 resample_filter: Sequence[float] = (1, 3, 3, 1), use_noise: bool = True, **ignored: Any) -> None:
        super().__init__()
        if img_resolution < 4 or img_resolution & (img_resolution - 1):
            raise ValueError(f"resolution must be a power of two >= 4, not {img_resolution}")
        self.w_dim, self.img_resolution, self.img_channels = w_dim, img_resolution, img_channels
        self.block_resolutions = [2**i for i in range(2, int(math.log2(img_resolution)) + 1)]
        channels = {res: min(channel_base // res, channel_max) for res in self.block_resolutions}
        self.num_ws = 0
        for res in self.block_resolutions:
            block = SynthesisBlock(channels[res // 2] if res > 4 else 0, channels[res], w_dim, res, img_channels,
                                   is_last=res == img_resolution, architecture=architecture,
                                   resample_filter=resample_filter, conv_clamp=conv_clamp, use_noise=use_noise)
            self.num_ws += block.num_conv + (block.num_torgb if res == img_resolution else 0)
            setattr(self, f"b{res}", block)

    def set_modconv_form(self, form: str) -> None:
        """Choose the fast path's modulated convolution for every layer: one of ``fast_ops.MODCONV_FORMS``."""
        if form not in fast_ops.MODCONV_FORMS:
            raise ValueError(f"modconv must be one of {'|'.join(fast_ops.MODCONV_FORMS)}, not {form!r}")
        for module in self.modules():
            if isinstance(module, SynthesisLayer):
                module.modconv = form

    def forward(self, ws: Tensor, noise_mode: str = "const") -> Tensor:
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, not {noise_mode!r}")
        if ws.dim() != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must be [B, {self.num_ws}, {self.w_dim}], got {list(ws.shape)}")
        ws = ws.to(torch.float32)
        if fast_paths():  # under autocast, cast once here rather than in every layer's affine, forward and back
            ws = ws.to(fast_ops.step_dtype(ws))
        x = img = None
        index = 0
        for res in self.block_resolutions:
            block = getattr(self, f"b{res}")
            x, img = block(x, img, ws.narrow(1, index, block.num_conv + block.num_torgb), noise_mode)
            index += block.num_conv
        return img


class StyleGAN2Network(nn.Module):
    """The full generator network: ``mapping`` and ``synthesis``, as in NVIDIA's ``G_ema``."""

    def __init__(self, z_dim: int, c_dim: int, w_dim: int, img_resolution: int, img_channels: int,
                 mapping_kwargs: dict[str, Any] | None = None, synthesis_kwargs: dict[str, Any] | None = None,
                 **ignored: Any) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim = z_dim, c_dim, w_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.synthesis = SynthesisNetwork(w_dim=w_dim, img_resolution=img_resolution, img_channels=img_channels,
                                          **dict(synthesis_kwargs or {}))
        self.num_ws = self.synthesis.num_ws
        mapping = {k: v for k, v in dict(mapping_kwargs or {}).items() if k in MAPPING_KEYS}
        self.mapping = MappingNetwork(z_dim=z_dim, c_dim=c_dim, w_dim=w_dim, num_ws=self.num_ws, **mapping)

    def forward(self, z: Tensor, c: Tensor | None = None, truncation_psi: float = 1.0,
                noise_mode: str = "const") -> Tensor:
        return self.synthesis(self.mapping(z, c, truncation_psi=truncation_psi), noise_mode=noise_mode)


MAPPING_KEYS = ("num_layers", "embed_features", "layer_features", "lr_multiplier", "w_avg_beta", "activation")
