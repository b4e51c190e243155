"""StyleGAN2 checkpoint files: format detection, safe loading, conversion to safetensors.

Formats, told apart by their first bytes:

* ``nvidia-pickle``: stylegan2-ada-pytorch / stylegan3 ``.pkl`` (a dict with ``G_ema``), read
  with :mod:`invgen_stylegan2.checkpoints.safe_pickle` (no stored code runs);
* ``rosinality``: stylegan2-pytorch ``.pt`` (``g_ema`` state dict, optional ``latent_avg``),
  read with ``torch.load(weights_only=True)`` and renamed;
* ``safetensors``: ours, weights plus the network config as JSON in the metadata.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from invgen_stylegan2.checkpoints.budget import (
    CheckpointError, check_layout, check_storage, expected_layout)
from invgen_stylegan2.network.networks import StyleGAN2Network
from invgen_stylegan2.checkpoints.safe_pickle import EasyDictStub, PersistentStub, UnsafePickleError, safe_load

FORMAT_TAG = "invgen-stylegan2"
_LEGACY_TORCH_MAGIC = 0x1950A86A20F9469CFC6C


@dataclass
class Checkpoint:
    """A loaded generator network with where it came from."""

    path: Path
    format: str
    config: dict[str, Any]
    network: StyleGAN2Network
    sha256: str

    def summary(self) -> dict[str, Any]:
        """What ``invgen stylegan2 info`` prints."""
        net = self.network
        return {
            "file": str(self.path), "format": self.format, "resolution": net.img_resolution,
            "channels": net.img_channels, "num_ws": net.num_ws, "w_dim": net.w_dim, "z_dim": net.z_dim,
            "c_dim": net.c_dim, "architecture": net.synthesis.b4.architecture,
            "parameters": sum(p.numel() for p in net.parameters()), "sha256": self.sha256,
        }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def detect_format(path: Path) -> str:
    """``safetensors``, ``zip`` (torch.save), ``pickle`` or raise :class:`CheckpointError`."""
    with open(path, "rb") as stream:
        head = stream.read(9)
    size = path.stat().st_size
    if len(head) < 2:
        raise CheckpointError(f"{path}: empty or truncated file, not a StyleGAN2 checkpoint")
    if len(head) == 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] < size:
        return "safetensors"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    if head[:1] == b"\x80":
        return "pickle"
    raise CheckpointError(f"{path}: unknown file format (expected an NVIDIA .pkl, a rosinality .pt or an "
                          "invgen .safetensors StyleGAN2 checkpoint)")


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load any supported checkpoint as a :class:`StyleGAN2Network` in eval mode on the CPU."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{path}: {size / 2**30:.1f} GB is larger than any StyleGAN2 checkpoint "
                              f"(limit {MAX_CHECKPOINT_BYTES >> 30} GB); is it the right file?")
    kind = detect_format(path)
    if kind == "safetensors":
        fmt, config, state = "safetensors", *_read_safetensors(path)
    elif kind == "zip":
        fmt, config, state = "rosinality", *_read_rosinality(path, _torch_load(path))
    else:
        fmt, config, state = _read_pickle(path)
    network = build_network(config, state, path)
    return Checkpoint(path, fmt, config, network, file_sha256(path))


MAX_CONFIG_NODES, MAX_CONFIG_DEPTH = 10_000, 16  # init_kwargs of real checkpoints: a few dozen values, depth 3
MAX_CHECKPOINT_BYTES = 4 << 30  # NVIDIA's FFHQ 1024 pickle is 0.36 GB with D and G; 4 GB leaves room for any


def build_network(config: dict[str, Any], state: dict[str, Tensor], path: Path) -> StyleGAN2Network:
    """Construct the network from ``config`` and load ``state`` strictly, after :mod:`.budget`'s checks (one-line
    errors); buffers the file lacks and the network derives (resample filters, the average latent) are filled."""
    check_layout({name: tensor.shape for name, tensor in state.items()}, expected_layout(config, path), path)
    check_storage(state, path)
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{path}: tensor {name} holds NaN or infinite values; the file is damaged")
    network = StyleGAN2Network(**config)
    full = network.state_dict()
    full.update({name: tensor.to(torch.float32) for name, tensor in state.items()})
    network.load_state_dict(full)
    if "mapping.w_avg" not in state:
        network.mapping.w_avg.copy_(_mean_w(network, config["z_dim"]))
    return network.eval().requires_grad_(False)


def _read_pickle(path: Path) -> tuple[str, dict[str, Any], dict[str, Tensor]]:
    try:
        with open(path, "rb") as stream:
            data = safe_load(stream)
    except UnsafePickleError as error:
        raise CheckpointError(f"{path}: unsafe pickle refused: {error}; nothing in it was run") from None
    except (MemoryError, OverflowError):  # a damaged length field asking for more memory than there is
        raise CheckpointError(f"{path}: corrupt pickle (a length inside it is impossibly large)") from None
    except Exception as error:  # noqa: BLE001 - a damaged pickle can fail in any way; none may escape raw
        raise CheckpointError(f"{path}: truncated or corrupt pickle ({type(error).__name__}: "
                              f"{_reason(error)})") from None
    if data == _LEGACY_TORCH_MAGIC:
        return "rosinality", *_read_rosinality(path, _torch_load(path))
    if not isinstance(data, dict) or not isinstance(data.get("G_ema"), PersistentStub):
        raise CheckpointError(f"{path}: a pickle without a 'G_ema' network (not an NVIDIA StyleGAN2 pickle)")
    generator = data["G_ema"]
    kwargs = _plain(generator.init_kwargs, path)
    if not isinstance(kwargs, dict):
        raise CheckpointError(f"{path}: the network's init_kwargs are not a mapping (not an NVIDIA StyleGAN2 pickle)")
    config = {key: kwargs[key] for key in ("z_dim", "c_dim", "w_dim", "img_resolution", "img_channels") if key in kwargs}
    config["mapping_kwargs"] = kwargs.get("mapping_kwargs", {})
    config["synthesis_kwargs"] = kwargs.get("synthesis_kwargs", {})
    try:
        return "nvidia-pickle", config, generator.state_dict()
    except Exception as error:  # noqa: BLE001 - a damaged module tree
        raise CheckpointError(f"{path}: corrupt network state ({type(error).__name__}: {_reason(error)})") from None


def _reason(error: BaseException) -> str:
    """One line about ``error``: torch's weights-only refusals open with advice to load unsafely, so the line
    naming the refused object is taken when there is one."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return next((line for line in lines if "GLOBAL" in line), lines[0] if lines else type(error).__name__)


def _plain(value: Any, path: Path) -> Any:
    """Init kwargs as plain JSON-able Python (EasyDict stand-ins -> dict, tuples -> lists), within
    :data:`MAX_CONFIG_NODES` values (shared references counted each time they are reached) and
    :data:`MAX_CONFIG_DEPTH` levels: a small pickle that shares one list 2^40 ways is refused, not expanded."""
    budget = [MAX_CONFIG_NODES]

    def convert(item: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_CONFIG_DEPTH:
            raise CheckpointError(f"{path}: the network's init_kwargs are larger or deeper than any StyleGAN2's "
                                  f"(over {MAX_CONFIG_NODES} values or {MAX_CONFIG_DEPTH} levels); refused")
        if isinstance(item, (dict, EasyDictStub)):
            return {str(k): convert(v, depth + 1) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [convert(v, depth + 1) for v in item]
        if hasattr(item, "item") and not isinstance(item, Tensor):
            return item.item()
        return item

    return convert(value, 0)


def _torch_load(path: Path) -> Any:
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise CheckpointError(f"{path}: unsafe torch checkpoint refused ({_reason(error)}); nothing in it was run") \
            from None
    except (MemoryError, OverflowError):
        raise CheckpointError(f"{path}: corrupt torch checkpoint (a length inside it is impossibly large)") from None
    except Exception as error:  # noqa: BLE001 - a damaged archive can fail in any way; none may escape raw
        raise CheckpointError(f"{path}: truncated or corrupt torch checkpoint ({_reason(error)})") from None


def _read_rosinality(path: Path, data: Any) -> tuple[dict[str, Any], dict[str, Tensor]]:
    if not isinstance(data, dict) or not isinstance(data.get("g_ema"), dict):
        raise CheckpointError(f"{path}: a torch file without a 'g_ema' state dict (not a rosinality checkpoint)")
    source: dict[str, Tensor] = data["g_ema"]
    latent_avg = data.get("latent_avg")
    check_storage({**source, **({"latent_avg": latent_avg} if isinstance(latent_avg, Tensor) else {})}, path)
    try:
        config = _rosinality_config(source)
        expected_layout(config, path)
        state = _rosinality_state(source, config)
    except (KeyError, IndexError, ValueError, AttributeError) as error:
        raise CheckpointError(f"{path}: unexpected rosinality layout ({type(error).__name__}: {error})") from None
    if isinstance(latent_avg, Tensor):
        state["mapping.w_avg"] = latent_avg.reshape(-1)
    return config, state


def _rosinality_config(source: dict[str, Tensor]) -> dict[str, Any]:
    mlp = sorted(int(m.group(1)) for key in source if (m := re.fullmatch(r"style\.(\d+)\.weight", key)))
    convs = sorted(int(m.group(1)) for key in source if (m := re.fullmatch(r"convs\.(\d+)\.conv\.weight", key)))
    w_dim, z_dim = source["style.1.weight"].shape
    resolution = 2 ** (len(convs) // 2 + 2)
    channels = {4: source["conv1.conv.weight"].shape[1]}
    for index in range(len(convs) // 2):
        channels[2 ** (index + 3)] = source[f"convs.{2 * index}.conv.weight"].shape[1]
    channel_max = max(channels.values())
    channel_base = min(res * ch for res, ch in channels.items() if ch < channel_max) if len(set(channels.values())) > 1 \
        else channel_max * resolution
    if any(min(channel_base // res, channel_max) != ch for res, ch in channels.items()):
        raise ValueError(f"channel counts {channels} do not follow min(base / res, max)")
    return {
        "z_dim": int(z_dim), "c_dim": 0, "w_dim": int(w_dim), "img_resolution": resolution,
        "img_channels": int(source["to_rgb1.conv.weight"].shape[1]),
        "mapping_kwargs": {"num_layers": len(mlp), "lr_multiplier": 0.01},
        "synthesis_kwargs": {"channel_base": int(channel_base), "channel_max": int(channel_max),
                             "architecture": "skip"},
    }


def _rosinality_state(source: dict[str, Tensor], config: dict[str, Any]) -> dict[str, Tensor]:
    state: dict[str, Tensor] = {}
    for index in range(config["mapping_kwargs"]["num_layers"]):
        state[f"mapping.fc{index}.weight"] = source[f"style.{index + 1}.weight"]
        state[f"mapping.fc{index}.bias"] = source[f"style.{index + 1}.bias"]
    state["synthesis.b4.const"] = source["input.input"][0]
    _modulated(state, source, "synthesis.b4.conv1", "conv1", "noises.noise_0")
    _to_rgb(state, source, "synthesis.b4.torgb", "to_rgb1")
    resolution = config["img_resolution"]
    for index, res in enumerate(2**k for k in range(3, resolution.bit_length())):
        _modulated(state, source, f"synthesis.b{res}.conv0", f"convs.{2 * index}", f"noises.noise_{2 * index + 1}")
        _modulated(state, source, f"synthesis.b{res}.conv1", f"convs.{2 * index + 1}", f"noises.noise_{2 * index + 2}")
        _to_rgb(state, source, f"synthesis.b{res}.torgb", f"to_rgbs.{index}")
    return state


def _modulated(state: dict[str, Tensor], source: dict[str, Tensor], ours: str, theirs: str, noise: str) -> None:
    state[f"{ours}.weight"] = source[f"{theirs}.conv.weight"][0]
    state[f"{ours}.affine.weight"] = source[f"{theirs}.conv.modulation.weight"]
    state[f"{ours}.affine.bias"] = source[f"{theirs}.conv.modulation.bias"]
    state[f"{ours}.noise_strength"] = source[f"{theirs}.noise.weight"].reshape(())
    state[f"{ours}.bias"] = source[f"{theirs}.activate.bias"]
    state[f"{ours}.noise_const"] = source[noise][0, 0]


def _to_rgb(state: dict[str, Tensor], source: dict[str, Tensor], ours: str, theirs: str) -> None:
    state[f"{ours}.weight"] = source[f"{theirs}.conv.weight"][0]
    state[f"{ours}.affine.weight"] = source[f"{theirs}.conv.modulation.weight"]
    state[f"{ours}.affine.bias"] = source[f"{theirs}.conv.modulation.bias"]
    state[f"{ours}.bias"] = source[f"{theirs}.bias"].reshape(-1)


@torch.no_grad()
def _mean_w(network: StyleGAN2Network, z_dim: int) -> Tensor:
    """The mean of mapping(z) over 10,000 seeded z, for checkpoints stored without an average latent."""
    z = torch.randn(10_000, z_dim, generator=torch.Generator().manual_seed(0))
    return network.mapping(z)[:, 0].mean(0)


def _read_safetensors(path: Path) -> tuple[dict[str, Any], dict[str, Tensor]]:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            config = _safetensors_config(handle.metadata() or {}, path)
            shapes = {key: handle.get_slice(key).get_shape() for key in handle.keys()}
            check_layout(shapes, expected_layout(config, path), path)
            return config, {key: handle.get_tensor(key) for key in handle.keys()}
    except (SafetensorError, OSError, ValueError) as error:
        if isinstance(error, CheckpointError):
            raise
        raise CheckpointError(f"{path}: truncated or corrupt safetensors file ({error})") from None


def _safetensors_config(metadata: dict[str, str], path: Path) -> dict[str, Any]:
    if metadata.get("format") != FORMAT_TAG or "config" not in metadata:
        raise CheckpointError(f"{path}: a safetensors file without invgen's StyleGAN2 config "
                              "(convert it with `invgen stylegan2 convert`)")
    try:
        return json.loads(metadata["config"])
    except ValueError:
        raise CheckpointError(f"{path}: its StyleGAN2 config is not valid JSON; the file is damaged") from None


def save_safetensors(network: StyleGAN2Network, config: dict[str, Any], path: str | Path) -> None:
    """Write ``network``'s weights and ``config`` as one ``.safetensors`` file, atomically."""
    from safetensors.torch import save

    from invgen.plugin import write_atomic

    state = {key: value.detach().contiguous().cpu() for key, value in network.state_dict().items()}
    write_atomic(path, save(state, metadata={"format": FORMAT_TAG, "config": json.dumps(config)}))
