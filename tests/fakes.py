"""A fake plugin for the core's tests: simple components defined here, registered in fixtures."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from invgen.plugin import Convolution, ForwardModel, Loss, Param, Prior, hookimpl, load_image


class SquaredError(Loss):
    """Sum of squared differences over the known pixels."""

    def forward(self, prediction, observation, mask):
        error = (prediction - observation).square()
        return (error if mask is None else error * mask).flatten(1).sum(1)


class GaussianBlur(ForwardModel, Convolution):
    """Gaussian blur with reflect borders, written out with conv2d."""

    def __init__(self, sigma: float = 1.0) -> None:
        super().__init__()
        radius = int(3 * sigma + 0.5)
        taps = torch.exp(-torch.arange(-radius, radius + 1.0) ** 2 / (2 * sigma**2))
        self.register_buffer("taps", taps / taps.sum())

    @property
    def kernel(self):
        return self.taps[:, None] * self.taps[None, :]

    def point_spread_function(self):
        return self.kernel

    def forward(self, x):
        r = self.taps.numel() // 2
        kernel = self.kernel.to(x)
        kernel = kernel.expand(x.shape[1], 1, -1, -1)
        return F.conv2d(F.pad(x, (r, r, r, r), mode="reflect"), kernel, groups=x.shape[1])


class TopHalfMask(ForwardModel):
    """The top half of the image is unknown."""

    def forward(self, x):
        return x * self.mask(tuple(x.shape[1:])).to(x)

    def mask(self, input_shape):
        mask = torch.ones(1, 1, *input_shape[1:])
        mask[..., : input_shape[1] // 2, :] = 0
        return mask


class MaskFile(ForwardModel):
    """The black pixels of a mask file are unknown (the mask-file role), scaled by nearest neighbour."""

    def __init__(self, path: str, resize: bool = False) -> None:
        super().__init__()
        self.known = load_image(path, 1) > 0
        self.resize = resize

    def forward(self, x):
        return x * self.mask(tuple(x.shape[1:])).to(x)

    def mask(self, input_shape):
        known = self.known.float()
        if self.resize:
            known = F.interpolate(known, size=input_shape[1:], mode="nearest")
        return known


class Noise(ForwardModel):
    """Additive Gaussian noise (identity operator)."""

    def __init__(self, std: float = 0.1) -> None:
        super().__init__()
        self.std = std

    def forward(self, x):
        return x

    @property
    def noise_std(self):
        return self.std

    def add_noise(self, y, rng):
        return y + self.std * torch.randn(y.shape, generator=rng, dtype=y.dtype)


class HalfDown(ForwardModel):
    """2x2 average pooling."""

    def forward(self, x):
        return F.avg_pool2d(x, 2)

    def output_shape(self, input_shape):
        channels, height, width = input_shape
        if height % 2 or width % 2:
            raise ValueError(f"size {height}x{width} is not divisible by 2")
        return (channels, height // 2, width // 2)


class SquaredNorm(Prior):
    """Sum of squares of the latent."""

    def forward(self, w):
        return w.square().flatten(1).sum(1)


@hookimpl
def register_forward_models(register: Callable[..., None]) -> None:
    register("test-blur", GaussianBlur, params=(Param("sigma", "float", 1.0, min=0.0, min_exclusive=True),),
             summary="test blur")
    register("test-topmask", TopHalfMask, summary="test mask")
    register("test-maskfile", MaskFile, params=(Param("path", "path", required=True), Param("resize", "bool", False)),
             summary="test mask file", roles=["mask-file"])
    register("test-noise", Noise, params=(Param("std", "float", 0.1, min=0.0),), summary="test noise")
    register("test-down", HalfDown, summary="test 2x down-sampling")


@hookimpl
def register_losses(register: Callable[..., None]) -> None:
    register("test-sse", SquaredError, summary="test squared error")


@hookimpl
def register_priors(register: Callable[..., None]) -> None:
    register("test-norm", SquaredNorm, summary="test squared norm")


@hookimpl
def register_presets(register: Callable[..., None]) -> None:
    register("test-preset", losses=["test-sse"], priors=["test-norm:weight=0.001"], summary="test preset")
