"""A StyleGAN2 residual discriminator with minibatch-stddev and optional projection conditioning.

Used only for training (checkpoints keep it so that training can resume); the layout follows
the StyleGAN2 paper's resnet discriminator: fromRGB at full resolution, two 3x3 convolutions
per block with 2x FIR down-sampling and a 1x1 skip, then a 4x4 epilogue.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from invgen_stylegan2.network.layers import Conv2dLayer, FullyConnectedLayer
from invgen_stylegan2.network.ops import normalize_2nd_moment


class DiscriminatorBlock(nn.Module):
    """Two 3x3 convolutions (the second halves the size) plus a 1x1 down-sampling skip."""

    def __init__(self, in_channels: int, out_channels: int, img_channels: int, first: bool) -> None:
        super().__init__()
        if first:
            self.fromrgb = Conv2dLayer(img_channels, in_channels, kernel_size=1, lrelu=True)
        self.conv0 = Conv2dLayer(in_channels, in_channels, kernel_size=3, lrelu=True)
        self.conv1 = Conv2dLayer(in_channels, out_channels, kernel_size=3, lrelu=True, down=2)
        self.skip = Conv2dLayer(in_channels, out_channels, kernel_size=1, bias=False, down=2)

    def forward(self, x: Tensor) -> Tensor:
        if hasattr(self, "fromrgb"):
            x = self.fromrgb(x)
        shortcut = self.skip(x, gain=math.sqrt(0.5))
        return shortcut + self.conv1(self.conv0(x), gain=math.sqrt(0.5))


class MinibatchStd(nn.Module):
    """Appends the mean standard deviation over groups of ``group_size`` samples as an extra channel."""

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: Tensor) -> Tensor:
        batch, channels, height, width = x.shape
        group = min(self.group_size, batch)
        if batch % group:
            group = 1
        y = x.reshape(group, -1, channels, height, width)
        y = (y - y.mean(dim=0)).square().mean(dim=0).add(1e-8).sqrt().mean(dim=(1, 2, 3))
        y = y.reshape(-1, 1, 1, 1).repeat(group, 1, height, width)
        return torch.cat([x, y], dim=1)


class Discriminator(nn.Module):
    """Images ``[B, C, R, R]`` (and one-hot labels ``[B, c_dim]``) -> realness logits ``[B, 1]``."""

    def __init__(self, img_resolution: int, img_channels: int, c_dim: int = 0, channels: int = 128,
                 mbstd_group: int = 4) -> None:
        super().__init__()
        self.c_dim = c_dim
        resolutions = [2**i for i in range(int(math.log2(img_resolution)), 2, -1)]
        self.blocks = nn.ModuleList(
            DiscriminatorBlock(channels, channels, img_channels, first=index == 0) for index in range(len(resolutions)))
        self.mbstd = MinibatchStd(mbstd_group)
        self.conv = Conv2dLayer(channels + 1, channels, kernel_size=3, lrelu=True)
        self.fc = FullyConnectedLayer(channels * 16, channels, lrelu=True)
        self.out = FullyConnectedLayer(channels, channels if c_dim else 1)
        if c_dim:
            self.embed = FullyConnectedLayer(c_dim, channels)

    def forward(self, img: Tensor, labels: Tensor | None = None) -> Tensor:
        x = img
        for block in self.blocks:
            x = block(x)
        x = self.conv(self.mbstd(x))
        x = self.out(self.fc(x.flatten(1)))
        if self.c_dim:
            projection = normalize_2nd_moment(self.embed(labels))
            x = (x * projection).sum(dim=1, keepdim=True) / math.sqrt(projection.shape[1])
        return x
