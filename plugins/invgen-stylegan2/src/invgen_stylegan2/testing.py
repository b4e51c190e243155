"""Helpers for tests of StyleGAN2 code: random networks and checkpoint files in every supported format.

The NVIDIA layout is written without NVIDIA's code: objects that pickle themselves as
``torch_utils.persistence._reconstruct_persistent_obj(meta)`` with module source text, a class
name and the module state, as their persistence wrapper does.
"""

from __future__ import annotations

import argparse
import collections
import pickle
import sys
import types
from pathlib import Path

import torch

from invgen_stylegan2.network.networks import StyleGAN2Network


def make_config(resolution=32, channels=1, architecture="skip", c_dim=0, w_dim=32, mapping_layers=2,
                channel_max=32, conv_clamp=None):
    synthesis = {"channel_base": channel_max * resolution * 2, "channel_max": channel_max,
                 "architecture": architecture}
    if conv_clamp is not None:
        synthesis["conv_clamp"] = conv_clamp
    return {"z_dim": w_dim, "c_dim": c_dim, "w_dim": w_dim, "img_resolution": resolution, "img_channels": channels,
            "mapping_kwargs": {"num_layers": mapping_layers}, "synthesis_kwargs": synthesis}


def make_network(seed=0, **kwargs):
    """A network with random weights everywhere (noise strengths and biases too, so every path is exercised)."""
    torch.manual_seed(seed)
    config = make_config(**kwargs)
    network = StyleGAN2Network(**config)
    with torch.no_grad():
        for name, parameter in network.named_parameters():
            if name.endswith("noise_strength") or name.endswith("bias"):
                parameter.copy_(torch.randn_like(parameter) * 0.2 + (1.0 if "affine" in name else 0.0))
        network.mapping.w_avg.copy_(torch.randn(network.w_dim) * 0.1)
    return network.eval().requires_grad_(False), config


# --- the NVIDIA pickle layout, written without NVIDIA's code -------------------------------------

class _Persistent:
    """Pickles as torch_utils.persistence does: _reconstruct_persistent_obj(meta) with module source text."""

    def __init__(self, meta):
        self.meta = meta

    def __reduce__(self):
        return (sys.modules["torch_utils.persistence"]._reconstruct_persistent_obj, (self.meta,))


def _wrap(module: torch.nn.Module, class_name: str, module_src: str, init_kwargs=None):
    state = {
        "training": False,
        "_parameters": collections.OrderedDict((k, v) for k, v in module._parameters.items()),
        "_buffers": collections.OrderedDict((k, v) for k, v in module._buffers.items()),
        "_non_persistent_buffers_set": set(),
        "_modules": collections.OrderedDict(
            (name, _wrap(child, type(child).__name__, module_src)) for name, child in module._modules.items()),
        "_init_args": (),
        "_init_kwargs": init_kwargs or {},
        "weight_gain": getattr(module, "weight_gain", 1.0),
    }
    return _Persistent({"type": "class", "version": 4, "module_src": module_src, "class_name": class_name,
                        "state": state})


def write_nvidia_pickle(network, config, path: Path, module_src="# the networks' module source would be here\n",
                        extra=None):
    """Write ``{'G': .., 'D': None, 'G_ema': ..}`` in the persistence layout, then forget the helper modules."""
    persistence = types.ModuleType("torch_utils.persistence")

    def _reconstruct_persistent_obj(meta):  # pragma: no cover - never called when loading safely
        raise AssertionError("the original reconstruction must not run")

    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    _reconstruct_persistent_obj.__qualname__ = "_reconstruct_persistent_obj"
    persistence._reconstruct_persistent_obj = _reconstruct_persistent_obj
    dnnlib_util = types.ModuleType("dnnlib.util")

    class EasyDict(dict):
        pass

    EasyDict.__module__ = "dnnlib.util"
    EasyDict.__qualname__ = "EasyDict"
    dnnlib_util.EasyDict = EasyDict
    modules = {"torch_utils": types.ModuleType("torch_utils"), "torch_utils.persistence": persistence,
               "dnnlib": types.ModuleType("dnnlib"), "dnnlib.util": dnnlib_util}
    sys.modules.update(modules)
    try:
        kwargs = EasyDict(config)
        kwargs["mapping_kwargs"] = EasyDict(config["mapping_kwargs"])
        kwargs["synthesis_kwargs"] = EasyDict(config["synthesis_kwargs"])
        g_ema = _wrap(network, "Generator", module_src, kwargs)
        data = {"G": g_ema, "D": None, "G_ema": g_ema, "augment_pipe": None,
                "training_set_kwargs": EasyDict(path="ffhq.zip"), **(extra or {})}
        path.write_bytes(pickle.dumps(data, protocol=4))
    finally:
        for name in modules:
            sys.modules.pop(name, None)


# --- the rosinality layout -------------------------------------------------------------------------

def to_rosinality(network) -> dict:
    """Our state dict renamed to rosinality's stylegan2-pytorch ``g_ema`` names (inverse of the loader's map)."""
    state = network.state_dict()
    out = {}
    for index in range(network.mapping.num_layers):
        out[f"style.{index + 1}.weight"] = state[f"mapping.fc{index}.weight"]
        out[f"style.{index + 1}.bias"] = state[f"mapping.fc{index}.bias"]
    out["input.input"] = state["synthesis.b4.const"][None]

    def modulated(ours, theirs, noise):
        out[f"{theirs}.conv.weight"] = state[f"{ours}.weight"][None]
        out[f"{theirs}.conv.modulation.weight"] = state[f"{ours}.affine.weight"]
        out[f"{theirs}.conv.modulation.bias"] = state[f"{ours}.affine.bias"]
        out[f"{theirs}.noise.weight"] = state[f"{ours}.noise_strength"].reshape(1)
        out[f"{theirs}.activate.bias"] = state[f"{ours}.bias"]
        out[noise] = state[f"{ours}.noise_const"][None, None]

    def to_rgb(ours, theirs):
        out[f"{theirs}.conv.weight"] = state[f"{ours}.weight"][None]
        out[f"{theirs}.conv.modulation.weight"] = state[f"{ours}.affine.weight"]
        out[f"{theirs}.conv.modulation.bias"] = state[f"{ours}.affine.bias"]
        out[f"{theirs}.bias"] = state[f"{ours}.bias"].reshape(1, -1, 1, 1)

    modulated("synthesis.b4.conv1", "conv1", "noises.noise_0")
    to_rgb("synthesis.b4.torgb", "to_rgb1")
    for index, res in enumerate(network.synthesis.block_resolutions[1:]):
        modulated(f"synthesis.b{res}.conv0", f"convs.{2 * index}", f"noises.noise_{2 * index + 1}")
        modulated(f"synthesis.b{res}.conv1", f"convs.{2 * index + 1}", f"noises.noise_{2 * index + 2}")
        to_rgb(f"synthesis.b{res}.torgb", f"to_rgbs.{index}")
    return out


def write_rosinality(network, path: Path, with_latent_avg=True):
    data = {"g_ema": to_rosinality(network), "args": argparse.Namespace(size=network.img_resolution)}
    if with_latent_avg:
        data["latent_avg"] = network.mapping.w_avg.clone()
    torch.save(data, path)
