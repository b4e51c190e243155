"""Hostile and broken checkpoints through `invgen run -g stylegan2:weights=FILE`: refused in one line,
nothing in them executed, nothing allocated beyond sane sizes."""

import os
import pickle

import pytest
import torch

from invgen.testing.cli import check_refused
from invgen_stylegan2.checkpoints.loading import save_safetensors
from invgen_stylegan2.testing import make_network, write_nvidia_pickle


class _Shell:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _write(kind: str, path, marker):
    network, config = make_network()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("weights, honestly")
    elif kind == "shell pickle":
        path.write_bytes(pickle.dumps({"G_ema": _Shell(f"touch {marker}")}))
    elif kind == "nested shell pickle":
        write_nvidia_pickle(network, config, path, extra={"augment_pipe": _Shell(f"touch {marker}")})
    elif kind == "shell torch file":
        torch.save({"g_ema": _Shell(f"touch {marker}")}, path)
    elif kind == "shared-list bomb":
        shared = [0]
        for _ in range(40):
            shared = [shared, shared]
        write_nvidia_pickle(network, {**config, "notes": shared}, path)
    elif kind == "truncated safetensors":
        save_safetensors(network, config, path)
        path.write_bytes(path.read_bytes()[:200])
    elif kind == "huge z_dim":
        save_safetensors(network, {**config, "z_dim": 10**9}, path)
    elif kind == "resolution 16384":
        save_safetensors(network, {**config, "img_resolution": 16384}, path)
    elif kind == "NaN weights":
        with torch.no_grad():
            network.mapping.fc0.weight.fill_(float("nan"))
        save_safetensors(network, config, path)
    elif kind == "foreign safetensors":
        from safetensors.torch import save_file

        save_file({"x": torch.zeros(2)}, path)
    elif kind == "pickle without G_ema":
        path.write_bytes(pickle.dumps({"weights": [1, 2]}))


CASES = [  # (kind, suffix, message)
    ("empty", ".pkl", r"empty or truncated"),
    ("text", ".pkl", r"unknown file format"),
    ("shell pickle", ".pkl", r"unsafe pickle refused.*not on the allow-list"),
    ("nested shell pickle", ".pkl", r"unsafe pickle refused"),
    ("shell torch file", ".pt", r"unsafe torch checkpoint refused \(Trying to load unsupported GLOBAL posix.system"),
    ("shared-list bomb", ".pkl", r"init_kwargs are larger or deeper than any StyleGAN2's"),
    ("truncated safetensors", ".safetensors", r"unknown file format|truncated or corrupt safetensors file"),
    ("huge z_dim", ".safetensors", r"config z_dim=1000000000 is outside what a StyleGAN2 can have"),
    ("resolution 16384", ".safetensors", r"img_resolution=16384 is outside"),
    ("NaN weights", ".safetensors", r"tensor mapping.fc0.weight holds NaN or infinite values"),
    ("foreign safetensors", ".safetensors", r"without invgen's StyleGAN2 config"),
    ("pickle without G_ema", ".pkl", r"without a 'G_ema' network"),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind, suffix, message", CASES, ids=[case[0] for case in CASES])
def test_hostile_and_broken_checkpoints(digit, tmp_path, run, kind, suffix, message):
    marker = tmp_path / "pwned"
    path = tmp_path / f"weights{suffix}"
    _write(kind, path, marker)
    args = list(run)
    args[args.index("-g") + 1] = f"stylegan2:weights={path}"
    check_refused([*args, "-i", digit, "-o", tmp_path / "out"], 1, message, tmp_path / "out")
    assert not marker.exists(), "nothing in a checkpoint may run"


def test_a_checkpoint_path_that_is_a_folder(digit, tmp_path, run):
    args = list(run)
    args[args.index("-g") + 1] = f"stylegan2:weights={tmp_path}"
    check_refused([*args, "-i", digit, "-o", tmp_path / "out"], 1, r"test_a_checkpoint_path_that_is0: no such file")
