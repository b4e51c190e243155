"""Named pretrained StyleGAN2 models: where to get them and how to build them.

The weight files themselves are found, downloaded and checked by the core's weights cache
(:mod:`invgen.registry.weights`); the embedded ``stylegan2-mnist32`` ships inside this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from invgen.plugin import UserError

NVIDIA_NC = "NVIDIA Source Code License-NC (non-commercial research use)"


@dataclass(frozen=True)
class PretrainedModel:
    """A named model: its file, origin, licence, and the resolution and channels it must have."""

    name: str
    filename: str
    url: str | None
    sha256: str | None
    licence: str
    resolution: int
    channels: int
    summary: str
    alignment: str | None = None  # how photos are cropped for it (``--align auto``)


MODELS = {
    model.name: model
    for model in (
        PretrainedModel("stylegan2-ffhq", "stylegan2-ada-ffhq.pkl",
                        "https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/ffhq.pkl", None,
                        NVIDIA_NC, 1024, 3, "NVIDIA's StyleGAN2-ADA FFHQ faces, 1024x1024 RGB", "ffhq"),
        PretrainedModel("brgm-ffhq", "brgm-ffhq.pkl", "https://dl.dropboxusercontent.com/s/jlgybz6nfhmpv54/ffhq.pkl",
                        None, NVIDIA_NC + "; see the BRGM authors' terms", 1024, 3,
                        "BRGM authors' FFHQ faces (90% training split), 1024x1024 RGB", "ffhq"),
        PretrainedModel("brgm-xray", "brgm-xray.pkl", "https://dl.dropboxusercontent.com/s/gphxjioth6dn5kb/xray.pkl",
                        None, NVIDIA_NC + "; see the BRGM authors' terms", 1024, 1,
                        "BRGM authors' chest X-rays, 1024x1024 grey"),
        PretrainedModel("brgm-brains", "brgm-brains.pkl",
                        "https://dl.dropboxusercontent.com/s/p9vgdcn5q3wpcuo/brains.pkl", None,
                        NVIDIA_NC + "; see the BRGM authors' terms", 256, 1, "BRGM authors' brain MRI, 256x256 grey"),
    )
}
EMBEDDED = "stylegan2-mnist32"
EMBEDDED_SHA256 = "cd2530ea571997036a5be7e674a8210b8d138abe5eab43de3112b23f236345ad"


def embedded_path() -> Path:
    """The ``.safetensors`` file of the embedded model inside this package."""
    return Path(str(resources.files("invgen_stylegan2") / "models" / f"{EMBEDDED}.safetensors"))


def load_named(name: str, noise: str = "none", modconv: str = "auto"):  # noqa: ANN201 - imported lazily
    """Build the named model, from the weights cache or the package, and check its shape."""
    from invgen.plugin import resolve_weights
    from invgen_stylegan2.checkpoints.loading import file_sha256, load_checkpoint
    from invgen_stylegan2.generator import StyleGAN2Generator

    if name == EMBEDDED:
        path = embedded_path()
        if not path.is_file() or file_sha256(path) != EMBEDDED_SHA256:
            raise UserError(f"{path}: the embedded {EMBEDDED} weights fail their sha256 check; reinstall invgen-stylegan2")
        return StyleGAN2Generator.from_checkpoint(load_checkpoint(path), noise=noise, modconv=modconv)
    checkpoint = load_checkpoint(resolve_weights(name))
    _check_shape(name, checkpoint)
    generator = StyleGAN2Generator.from_checkpoint(checkpoint, noise=noise, modconv=modconv)
    generator.alignment = MODELS[name].alignment
    return generator


def check_model_file(name: str, path: Path) -> None:
    """What ``invgen weights add NAME FILE`` checks: a StyleGAN2 checkpoint (read safely) of the model's size."""
    from invgen_stylegan2.checkpoints.loading import load_checkpoint

    _check_shape(name, load_checkpoint(path))


def _check_shape(name: str, checkpoint: Any) -> None:
    model, network = MODELS[name], checkpoint.network
    if (network.img_resolution, network.img_channels) != (model.resolution, model.channels):
        raise UserError(f"{checkpoint.path}: is {network.img_resolution}px with {network.img_channels} channels, "
                        f"but {name} should be {model.resolution}px with {model.channels}; is it the right file?")


def stylegan2_ffhq(noise: str = "none", modconv: str = "auto"):  # noqa: ANN201
    return load_named("stylegan2-ffhq", noise, modconv)


def brgm_ffhq(noise: str = "none", modconv: str = "auto"):  # noqa: ANN201
    return load_named("brgm-ffhq", noise, modconv)


def brgm_xray(noise: str = "none", modconv: str = "auto"):  # noqa: ANN201
    return load_named("brgm-xray", noise, modconv)


def brgm_brains(noise: str = "none", modconv: str = "auto"):  # noqa: ANN201
    return load_named("brgm-brains", noise, modconv)


def stylegan2_mnist32(noise: str = "none", modconv: str = "auto"):  # noqa: ANN201
    return load_named(EMBEDDED, noise, modconv)
