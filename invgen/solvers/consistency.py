"""Consistency with the observation: two post-steps that make a reconstruction agree with it
(``--consistency``), the generator's own output kept beside (how well f(x) explains y is
:func:`invgen.problem.metrics.fit_db`).

``paste`` (masks): the known pixels are the observation's, exactly; the unknown pixels next to them are
shifted by the nearby residual, fading out over a few pixels, so the seam does not show. ``project``
(operators with a cheap pseudo-inverse, such as area down-sampling): x + A⁺(y - A x), after which A x = y.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from invgen.errors import UsageError
from invgen.problem.interfaces import ForwardModel

MODES = ("none", "paste", "project")
FEATHER = 2.0  # pixels: the std of the Gaussian that carries the residual across the seam


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise UsageError(f"unknown --consistency {mode!r} (choose {', '.join(MODES)})")


def check_applies(forward: ForwardModel, image_shape: tuple[int, ...], mode: str,
                  device: torch.device | str = "cpu") -> None:
    """Refuse, before any compute, a ``mode`` that ``forward`` does not allow (a one-line :class:`UsageError`)."""
    check_mode(mode)
    if mode == "none":
        return
    blank = torch.zeros(1, *image_shape, device=device)
    with torch.no_grad():
        consistent(blank, forward(blank), forward, mode)


def consistent(image: Tensor, observation: Tensor, forward: ForwardModel, mode: str) -> Tensor:
    """``image [B, C, H, W]`` made to agree with ``observation`` by ``mode`` (paste or project)."""
    check_mode(mode)
    shape = tuple(image.shape[1:])
    if mode == "paste":
        mask = forward.mask(shape)
        if mask is None or tuple(forward.output_shape(shape)) != shape:
            raise UsageError(f"--consistency paste needs a mask and an observation of the image's size; "
                             f"{forward.spec!r} has none: use project or none")
        return paste(image, observation, mask.to(image))
    with torch.no_grad():
        correction = forward.pseudo_inverse(observation - forward(image), shape)
    if correction is None:
        raise UsageError(f"--consistency project needs a cheap pseudo-inverse and {forward.spec!r} has none "
                         "(masks and area down-sampling do): use paste or none")
    return image + correction


def paste(image: Tensor, observation: Tensor, mask: Tensor) -> Tensor:
    """Known pixels (``mask`` 1) from ``observation`` exactly; unknown ones shifted by the residual of the
    known pixels around them, weighted by a Gaussian of :data:`FEATHER` pixels (zero far from the seam)."""
    residual = (observation - image) * mask
    kernel = _gaussian(FEATHER).to(image)
    spread = _blur(residual, kernel)
    weight = _blur(mask.expand_as(image), kernel)
    shift = torch.where(weight > 1e-6, spread / weight.clamp_min(1e-6), torch.zeros_like(spread))
    fade = (weight / weight.amax().clamp_min(1e-6)).clamp(0, 1)
    return mask * observation + (1 - mask) * (image + fade * shift)


def _gaussian(sigma: float) -> Tensor:
    radius = int(math.ceil(3 * sigma))
    taps = torch.exp(-torch.arange(-radius, radius + 1.0) ** 2 / (2 * sigma**2))
    return taps / taps.sum()


def _blur(x: Tensor, taps: Tensor) -> Tensor:
    """Separable Gaussian with zero borders, channel by channel."""
    channels, radius = x.shape[1], taps.numel() // 2
    rows = taps.view(1, 1, 1, -1).expand(channels, 1, 1, -1)
    columns = taps.view(1, 1, -1, 1).expand(channels, 1, -1, 1)
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0)), rows, groups=channels)
    return F.conv2d(F.pad(x, (0, 0, radius, radius)), columns, groups=channels)
