"""``stylegan2-random``: the FFHQ configuration (config-f) with random weights, for timing and memory.

Its images are not faces (nothing is trained), but every layer has the shape and cost of the
released 1024 px FFHQ model (or of the same design at a smaller resolution), so ``invgen bench``
measures real costs without a weight download.
"""

from __future__ import annotations

import torch

from invgen_stylegan2.generator import StyleGAN2Generator
from invgen_stylegan2.network.networks import StyleGAN2Network

FFHQ_SYNTHESIS = {"channel_base": 32768, "channel_max": 512}  # config-f, as in the released checkpoints


def stylegan2_random(resolution: str | int = 1024, channels: int = 3, seed: int = 0, noise: str = "none",
                     modconv: str = "auto") -> StyleGAN2Generator:
    """An FFHQ config-f generator at ``resolution`` with weights drawn from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(torch.randint(2**31, (1,), generator=generator)))
        network = StyleGAN2Network(z_dim=512, c_dim=0, w_dim=512, img_resolution=int(resolution), img_channels=channels,
                                   mapping_kwargs={"num_layers": 8}, synthesis_kwargs=dict(FFHQ_SYNTHESIS))
    return StyleGAN2Generator(network.eval().requires_grad_(False), noise=noise, modconv=modconv)
