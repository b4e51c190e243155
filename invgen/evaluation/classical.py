"""Classical reconstructions that need no generator: bicubic, biharmonic inpainting, Richardson-Lucy, Wiener.

Each takes the observation ``[B, C, h, w]`` and the forward chain and returns ``[B, C, H, W]`` in
[-1, 1] on the CPU; scikit-image supplies the inpainting and deconvolution algorithms. Which one
fits a chain is read from the forward models' interfaces: the output shape, the mask, and the
optional :class:`~invgen.problem.interfaces.Convolution`. The core registers them as built-in baselines.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from invgen.problem.chain import Chain
from invgen.problem.interfaces import Convolution, Shape


def bicubic(observation: Tensor, chain: Chain, shape: Shape) -> Tensor:
    """Bicubic up-sampling of a low-resolution observation to the generator's size."""
    return F.interpolate(observation.cpu(), size=shape[1:], mode="bicubic", align_corners=False).clamp(-1, 1)


def biharmonic(observation: Tensor, chain: Chain, shape: Shape) -> Tensor:
    """scikit-image's ``inpaint_biharmonic`` on the unknown pixels of the chain's mask."""
    from skimage.restoration import inpaint_biharmonic

    unknown = (chain.mask(shape)[0, 0] < 0.5).cpu().numpy()
    return _per_image(observation, lambda image: inpaint_biharmonic(image, unknown))


def _convolutions(chain: Chain) -> list[Convolution]:
    return [part for part in chain.parts if isinstance(part, Convolution)]


def _psf(chain: Chain) -> np.ndarray:
    kernels = _convolutions(chain)
    if len(kernels) != 1:
        raise ValueError("deconvolution baselines need exactly one convolution in the chain")
    return kernels[0].point_spread_function().detach().double().cpu().numpy()


def _padded(deconvolve: Callable[[np.ndarray, np.ndarray], np.ndarray], psf: np.ndarray) -> Callable[..., np.ndarray]:
    """Deconvolve a mirror-padded copy and crop it back, so image borders do not ring."""
    pad = max(psf.shape)

    def restore(image: np.ndarray) -> np.ndarray:
        return deconvolve(np.pad(image, pad, mode="symmetric"), psf)[pad:-pad, pad:-pad]

    return restore


def richardson_lucy(observation: Tensor, chain: Chain, shape: Shape) -> Tensor:
    """scikit-image's Richardson-Lucy deconvolution (30 iterations) with the chain's blur kernel."""
    from skimage.restoration import richardson_lucy as deconvolve

    restore = _padded(lambda image, psf: deconvolve(image, psf, num_iter=30), _psf(chain))
    return _per_image(observation, restore)


def wiener(observation: Tensor, chain: Chain, shape: Shape) -> Tensor:
    """scikit-image's Wiener deconvolution with the chain's blur kernel (balance 0.1)."""
    from skimage.restoration import wiener as deconvolve

    restore = _padded(lambda image, psf: deconvolve(image, psf, balance=0.1), _psf(chain))
    return _per_image(observation, restore)


def _per_image(observation: Tensor, restore: Callable[[np.ndarray], np.ndarray]) -> Tensor:
    """Apply ``restore`` to each channel of each image on the [0, 1] scale."""
    unit = ((observation.detach().double().cpu() + 1) / 2).clamp(0, 1).numpy()
    restored = np.stack([np.stack([restore(channel) for channel in image]) for image in unit])
    return torch.from_numpy(np.clip(restored, 0, 1) * 2 - 1).float()


def is_super_resolution(chain: Chain, shape: Shape) -> bool:
    """The observation is smaller than the image and has no mask."""
    return chain.mask(shape) is None and tuple(chain.output_shape(shape))[1:] < tuple(shape)[1:]


def is_inpainting(chain: Chain, shape: Shape) -> bool:
    """Same size, with unknown pixels."""
    return chain.mask(shape) is not None and tuple(chain.output_shape(shape)) == tuple(shape)


def is_deblurring(chain: Chain, shape: Shape) -> bool:
    """Same size, no mask, exactly one convolution."""
    same_size = tuple(chain.output_shape(shape)) == tuple(shape)
    return chain.mask(shape) is None and same_size and len(_convolutions(chain)) == 1
