"""The perceptual data term: LPIPS v0.1 (Zhang et al. 2018) with backbone weights found offline.

The LPIPS linear heads ship inside the ``lpips`` package. The ImageNet backbone (AlexNet or
VGG16 ``features.*``) is looked up, in order: the file or folder named by
``INVGEN_LPIPS_WEIGHTS``; the invgen weights cache (``invgen weights add lpips-vgg16 FILE``);
torchvision's download (online only). If none works: one error, never a random backbone.
"""

from __future__ import annotations

import os
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from invgen.plugin import Loss, UserError, fast_paths

BACKBONES = {"vgg": "vgg16", "alex": "alexnet"}
TORCHVISION_URLS = {
    "vgg16": "https://download.pytorch.org/models/vgg16-397923af.pth",
    "alexnet": "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
}
MIN_SIZE = 32


class LPIPSWeightsMissing(UserError, RuntimeError):
    """No ImageNet backbone weights could be found for LPIPS."""


class LPIPSLoss(Loss):
    """LPIPS distance per observation (``net=vgg`` as in the BRGM paper, or ``alex``).

    Grey images are repeated to three channels; images smaller than 32 px are up-sampled
    bilinearly to 32 px (on the short side) before the features, since the backbones' pooling
    needs that much. Unknown pixels (mask 0) are set to 0 in the prediction, as they are in the
    observation, so they add nothing.
    """

    def __init__(self, net: str = "vgg", download: bool = True) -> None:
        super().__init__()
        self.net = net
        self.model = build_lpips(net, download)
        self._target: _TargetFeatures | None = None

    def forward(self, prediction: Tensor, observation: Tensor, mask: Tensor | None) -> Tensor:
        """``lpips.LPIPS(prediction, observation)`` per image, with the observation's features computed once
        (a MAP run compares hundreds of predictions with one observation: a third of the backbone's work)."""
        if prediction.shape[1] not in (1, 3):
            raise UserError(f"lpips compares images of 1 or 3 channels, but these observations have "
                            f"{prediction.shape[1]} (data such as k-space?): use --preset pixel, or drop the lpips term")
        if mask is not None:
            prediction = prediction * mask
        if not fast_paths():  # both images through the backbone at every step
            observed = observation if mask is None else observation * mask
            return self.model(_prepare(prediction), _prepare(observed)).flatten(1).sum(1)
        model = self.model
        features = model.net(model.scaling_layer(_prepare(prediction)))
        target = self._target_features(observation, mask)
        distance = sum(model.lins[kk]((_unit_channels(features[kk]) - target[kk]) ** 2).mean((2, 3), keepdim=True)
                       for kk in range(model.L))
        return distance.flatten(1).sum(1)

    def _target_features(self, observation: Tensor, mask: Tensor | None) -> list[Tensor]:
        """The observation's normalised backbone features, remembered while the same tensors come back unchanged
        under the same autocast setting."""
        key = (observation._version, None if mask is None else mask._version, _autocast_state(observation.device))
        cached = self._target
        if cached is not None and cached.observation is observation and cached.mask is mask and cached.key == key:
            return cached.features
        with torch.no_grad():
            masked = observation if mask is None else observation * mask
            outputs = self.model.net(self.model.scaling_layer(_prepare(masked)))
            features = [_unit_channels(outputs[kk]) for kk in range(self.model.L)]
        self._target = _TargetFeatures(observation, mask, key, features)
        return features


@dataclass
class _TargetFeatures:
    observation: Tensor  # held, so that identity checks cannot match a recycled id
    mask: Tensor | None
    key: tuple[Any, ...]
    features: list[Tensor]


def _unit_channels(features: Tensor, eps: float = 1e-10) -> Tensor:
    """Each pixel's feature vector divided by its length (LPIPS's normalisation, same epsilon)."""
    return features / (features.square().sum(dim=1, keepdim=True).sqrt() + eps)


def _autocast_state(device: torch.device) -> tuple[bool, torch.dtype | None]:
    enabled = torch.is_autocast_enabled(device.type)
    return enabled, torch.get_autocast_dtype(device.type) if enabled else None


def _prepare(images: Tensor) -> Tensor:
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    short = min(images.shape[-2:])
    if short < MIN_SIZE:
        scale = MIN_SIZE / short
        size = (round(images.shape[-2] * scale), round(images.shape[-1] * scale))
        images = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
    return images


def build_lpips(net: str, download: bool = True) -> torch.nn.Module:
    """An ``lpips.LPIPS`` model with its backbone loaded from :func:`backbone_state`, frozen, in eval mode."""
    import lpips

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = lpips.LPIPS(net=net, pnet_rand=True, verbose=False)
    features = backbone_state(BACKBONES[net], download)
    slices = {}
    for slice_name, block in model.net.named_children():
        for index, _ in block.named_children():
            slices[index] = slice_name
    state = {}
    for key, tensor in features.items():
        _, index, kind = key.split(".")
        state[f"{slices[index]}.{index}.{kind}"] = tensor
    missing = set(model.net.state_dict()) - set(state)
    if missing:
        raise LPIPSWeightsMissing(f"LPIPS {net}: the backbone weights lack {sorted(missing)[0]}; wrong file?")
    model.net.load_state_dict(state)
    return model.eval().requires_grad_(False)


def backbone_state(backbone: str, download: bool = True) -> dict[str, Tensor]:
    """``features.*`` tensors of an ImageNet ``vgg16`` or ``alexnet``, from the first source that has them."""
    override = os.environ.get("INVGEN_LPIPS_WEIGHTS")
    if override:
        path = Path(override)
        if path.is_dir():
            path = path / f"{backbone}_imagenet_features.safetensors"
        if not path.is_file():
            raise LPIPSWeightsMissing(f"INVGEN_LPIPS_WEIGHTS={override}: no {backbone} weights file there")
        return _features(_read(path))
    cached = _from_cache(backbone)
    if cached is not None:
        return cached
    if not download:
        raise LPIPSWeightsMissing(f"LPIPS needs ImageNet {backbone} weights: set INVGEN_LPIPS_WEIGHTS or run "
                                  f"`invgen weights add lpips-{backbone} FILE`")
    try:
        state = torch.hub.load_state_dict_from_url(TORCHVISION_URLS[backbone], progress=False, map_location="cpu")
    except Exception as error:  # noqa: BLE001 - any network or file failure means "not available"
        raise LPIPSWeightsMissing(
            f"LPIPS needs ImageNet {backbone} weights and none were found (download failed: "
            f"{type(error).__name__}); set INVGEN_LPIPS_WEIGHTS to a features file or folder, or run "
            f"`invgen weights add lpips-{backbone} FILE`"
        ) from None
    return _features(state)


def _from_cache(backbone: str) -> dict[str, Tensor] | None:
    from invgen.plugin import WeightsError, resolve_weights

    try:
        return _features(_read(resolve_weights(f"lpips-{backbone}")))
    except WeightsError:
        return None


def _read(path: Path) -> dict[str, Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)


FIRST_CONV = {"vgg16": (64, 3, 3, 3), "alexnet": (64, 3, 11, 11)}  # features.0.weight of each ImageNet backbone


def check_backbone_file(backbone: str, path: Path) -> None:
    """What ``invgen weights add lpips-BACKBONE FILE`` checks: readable weights whose first convolution is
    the ImageNet backbone's."""
    try:
        features = _features(_read(Path(path)))
    except (OSError, RuntimeError, ValueError, pickle.UnpicklingError, EOFError) as error:
        raise LPIPSWeightsMissing(f"not a safetensors or torch weights file ({type(error).__name__})") from None
    first = features.get("features.0.weight")
    shape = None if first is None else tuple(first.shape)
    if shape != FIRST_CONV[backbone]:
        raise LPIPSWeightsMissing(f"its features.0.weight is {list(shape) if shape else 'missing'}, the ImageNet "
                                  f"{backbone}'s is {list(FIRST_CONV[backbone])}")


def _features(state: dict[str, Tensor]) -> dict[str, Tensor]:
    features = {k: v for k, v in state.items() if k.startswith("features.")}
    if not features:
        raise LPIPSWeightsMissing("the LPIPS backbone file holds no 'features.*' weights")
    return features


def lpips_metric() -> Callable[[Tensor, Tensor], Tensor]:
    """LPIPS (AlexNet) per image ``[B]`` as a metric; raises LPIPSWeightsMissing unless weights are local."""
    model = LPIPSLoss(net="alex", download=False)

    def distance(x: Tensor, y: Tensor) -> Tensor:
        with torch.no_grad():
            return model.to(x.device)(x.float(), y.float(), None).double()

    return distance
