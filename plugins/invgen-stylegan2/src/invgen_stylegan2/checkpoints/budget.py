"""What a checkpoint may ask for, checked before any weight-sized memory is allocated.

A small hostile or damaged file must not make the loader build a network of gigabytes: its config is checked
against :data:`CONFIG_RANGES`, the network it implies is laid out on PyTorch's ``meta`` device (shapes only,
no memory) and its parameter count bounded by :data:`MAX_PARAMETERS`, and every tensor the file holds must
have the shape that layout expects and be backed by as many stored bytes as it has values (a zero-stride
tensor of 10^9 values over one stored number is refused). Only then is the real network built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from invgen.plugin import UserError
from invgen_stylegan2.network.networks import StyleGAN2Network


class CheckpointError(UserError, ValueError):
    """A checkpoint cannot be used; the message names the file and the reason."""


# what a StyleGAN2 configuration read from a file may say: wider ranges than any published model, narrow enough
# that a hostile or damaged file cannot make the constructor divide by zero or loop without end
CONFIG_RANGES = {"z_dim": (1, 4096), "w_dim": (1, 4096), "c_dim": (0, 100_000), "img_resolution": (4, 4096),
                 "img_channels": (1, 4), "mapping_kwargs.num_layers": (1, 64),
                 "mapping_kwargs.embed_features": (1, 4096), "mapping_kwargs.layer_features": (1, 4096),
                 "synthesis_kwargs.channel_base": (1, 1 << 24), "synthesis_kwargs.channel_max": (1, 4096)}
# NVIDIA's FFHQ 1024 generator has 30 million parameters; 500 million (2 GB as float32) is room for any StyleGAN2
MAX_PARAMETERS = 500_000_000
# buffers the network computes itself: a file may lack them (rosinality's checkpoints store no resample filters
# and sometimes no average latent), and the loader then takes or derives them
DERIVED_SUFFIXES = ("resample_filter", "mapping.w_avg")


def check_config(config: dict[str, Any], path: Path) -> None:
    """A one-line error unless every size in ``config`` is an integer in its :data:`CONFIG_RANGES` range."""
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: the network config is not a mapping; the file is damaged")
    for key, (low, high) in CONFIG_RANGES.items():
        group, _, name = key.rpartition(".")
        holder = config.get(group) if group else config
        value = holder.get(name) if isinstance(holder, dict) else None
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise CheckpointError(f"{path}: config {key}={value!r} is outside what a StyleGAN2 can have "
                                  f"(an integer from {low} to {high}); the file is damaged or not a StyleGAN2")
    resolution = config.get("img_resolution")
    if resolution is not None and resolution & (resolution - 1):
        raise CheckpointError(f"{path}: config img_resolution={resolution} is not a power of two")


def expected_layout(config: dict[str, Any], path: Path) -> dict[str, torch.Size]:
    """The shape of every tensor the network of ``config`` holds, found without allocating it; a one-line error
    when the config is out of range or implies more than :data:`MAX_PARAMETERS` parameters."""
    check_config(config, path)
    try:
        with torch.device("meta"):
            network = StyleGAN2Network(**config)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: unsupported network configuration ({error})") from None
    layout = {name: tensor.shape for name, tensor in network.state_dict().items()}
    parameters = sum(shape.numel() for shape in layout.values())
    if parameters > MAX_PARAMETERS:
        raise CheckpointError(f"{path}: its config implies a network of {parameters:,} parameters, more than any "
                              f"StyleGAN2 (at most {MAX_PARAMETERS:,}); the file is damaged or not a StyleGAN2")
    return layout


def check_layout(shapes: dict[str, Any], layout: dict[str, torch.Size], path: Path) -> None:
    """A one-line error unless ``shapes`` (a tensor's name -> its shape, as the file declares it) names exactly
    the tensors of ``layout`` (derived buffers may be absent), each of its shape."""
    missing = sorted(name for name in set(layout) - set(shapes) if not name.endswith(DERIVED_SUFFIXES))
    unexpected = sorted(set(shapes) - set(layout))
    if missing or unexpected:
        detail = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        raise CheckpointError(f"{path}: not a StyleGAN2 generator of the expected layout ({detail}, "
                              f"{len(missing)} missing and {len(unexpected)} unexpected tensors)")
    for name, shape in shapes.items():
        if tuple(shape) != tuple(layout[name]):
            raise CheckpointError(f"{path}: tensor {name} has shape {list(shape)}, expected {list(layout[name])}")


def check_storage(state: dict[str, Any], path: Path) -> None:
    """A one-line error unless every value of ``state`` is a tensor backed by a stored byte for each of its
    values: strides that repeat a few stored numbers into a huge tensor are refused before anything copies it."""
    for name, tensor in state.items():
        if not isinstance(tensor, Tensor):
            raise CheckpointError(f"{path}: {name} is a {type(tensor).__name__}, not a tensor; the file is damaged")
        stored = tensor.untyped_storage().nbytes()
        if tensor.numel() * tensor.element_size() > stored:
            raise CheckpointError(f"{path}: tensor {name} has {tensor.numel():,} values but the file stores "
                                  f"{stored:,} bytes for it (repeated by its strides); the file is damaged")
