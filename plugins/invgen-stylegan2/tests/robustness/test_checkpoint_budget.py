"""Small crafted checkpoints that asked the loader for gigabytes: a config inside every range with no tensors,
tensors whose strides repeat one stored number millions of times. Each is refused in one line naming the file,
within 300 MB of peak resident memory beyond the process's own (measured in a fresh process), by the reader and
by ``invgen run`` and ``invgen weights add``; hypothesis then tries any config and tensor header under 64 KB."""

from __future__ import annotations

import math
import os
import re

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invgen.testing.cli import check_refused
from invgen.testing.memory import cost_of
from invgen_stylegan2.checkpoints.budget import CONFIG_RANGES
from invgen_stylegan2.testing import make_network, to_rosinality, write_nvidia_pickle

BUDGET_MB = 300
LOAD = "import torch\nfrom invgen_stylegan2.checkpoints.loading import load_checkpoint"
# every size at the top of its range: 4.8 billion parameters (19 GB as float32) if it were built
LARGEST = {"z_dim": 4096, "w_dim": 4096, "c_dim": 0, "img_resolution": 4096, "img_channels": 4,
           "mapping_kwargs": {"num_layers": 64}, "synthesis_kwargs": {"channel_base": 1 << 24, "channel_max": 4096}}
# NVIDIA's FFHQ 1024 generator: 30 million parameters, allowed, but the file holds none of them
FFHQ = {"z_dim": 512, "w_dim": 512, "c_dim": 0, "img_resolution": 1024, "img_channels": 3,
        "mapping_kwargs": {"num_layers": 8}, "synthesis_kwargs": {"channel_base": 32768, "channel_max": 512}}


def _safetensors_without_tensors(path, config):
    import json

    from safetensors.torch import save

    path.write_bytes(save({}, metadata={"format": "invgen-stylegan2", "config": json.dumps(config)}))
    return path


def _repeated(tensor, shape=None):
    """One stored zero seen as a tensor of ``shape`` (``tensor``'s by default): strides of 0."""
    return torch.zeros(1, dtype=tensor.dtype).expand(*(shape or tensor.shape))


def _make(kind, path):
    network, config = make_network()
    if kind == "largest config, no tensors":
        return _safetensors_without_tensors(path, LARGEST)
    if kind == "ffhq config, no tensors":
        return _safetensors_without_tensors(path, FFHQ)
    if kind == "rosinality 32 x 10^6 style weight":
        source = {name: _repeated(value) for name, value in to_rosinality(network).items()}
        source["style.1.weight"] = _repeated(source["style.1.weight"], (32, 10**6))
        torch.save({"g_ema": source}, path)
        return path
    if kind == "rosinality, every tensor repeated":
        torch.save({"g_ema": {name: _repeated(value) for name, value in to_rosinality(network).items()}}, path)
        return path
    if kind == "nvidia pickle, a tensor repeated":
        with torch.no_grad():
            network.mapping.fc0.weight = torch.nn.Parameter(_repeated(network.mapping.fc0.weight), requires_grad=False)
        write_nvidia_pickle(network, config, path)
        return path
    raise AssertionError(kind)


CRAFTED = [  # (kind, suffix, the one-line error)
    ("largest config, no tensors", ".safetensors", r"its config implies a network of 4,826,975,441 parameters, more "
                                                   r"than any StyleGAN2"),
    ("ffhq config, no tensors", ".safetensors", r"not a StyleGAN2 generator of the expected layout \(missing "),
    ("rosinality 32 x 10^6 style weight", ".pt", r"tensor style.1.weight has 32,000,000 values but the file stores "
                                                 r"4 bytes for it"),
    ("rosinality, every tensor repeated", ".pt", r"tensor style.1.weight has 1,024 values but the file stores 4 bytes"),
    ("nvidia pickle, a tensor repeated", ".pkl", r"tensor mapping.fc0.weight has 1,024 values but the file stores "
                                                 r"4 bytes"),
]


@pytest.mark.parametrize("kind, suffix, message", CRAFTED, ids=[case[0] for case in CRAFTED])
def test_a_crafted_checkpoint_is_refused_within_the_budget(tmp_path, kind, suffix, message):
    path = _make(kind, tmp_path / f"crafted{suffix}")
    assert path.stat().st_size < 512 * 1024
    cost = cost_of(f"load_checkpoint({str(path)!r})", prelude=LOAD)
    assert cost.megabytes < BUDGET_MB and re.search(message, cost.error) and str(path) in cost.error, cost


@pytest.mark.parametrize("kind, suffix, message", CRAFTED[:3], ids=[case[0] for case in CRAFTED[:3]])
def test_invgen_run_and_weights_add_refuse_them_in_one_line(tmp_path, digit, run, kind, suffix, message):
    path = _make(kind, tmp_path / f"crafted{suffix}")
    args = list(run)
    args[args.index("-g") + 1] = f"stylegan2:weights={path}"
    check_refused([*args, "-i", digit, "-o", tmp_path / "out"], 1, message, tmp_path / "out")
    check_refused(["weights", "add", "stylegan2-ffhq", path], 1, message)


SIZES = {key: st.one_of(st.integers(low, high), st.integers(-2, 10**7)) for key, (low, high) in CONFIG_RANGES.items()}


@st.composite
def _crafted(draw):
    """A config of any sizes (mostly in range) and up to 12 tensors of the names a network has, of any shapes,
    stored as one repeated value or as few real bytes."""
    config: dict = {"mapping_kwargs": {}, "synthesis_kwargs": {}}
    for key, sizes in SIZES.items():
        if draw(st.booleans()):
            group, _, name = key.rpartition(".")
            (config[group] if group else config)[name] = draw(sizes)
    names = st.sampled_from(["mapping.fc0.weight", "mapping.w_avg", "synthesis.b4.const", "synthesis.b4.conv1.weight",
                             "synthesis.b4.torgb.weight", "mapping.fc1.bias",  # ours, and rosinality's:
                             "style.1.weight", "conv1.conv.weight", "to_rgb1.conv.weight", "convs.0.conv.weight",
                             "input.input", "latent_avg"])
    shapes = st.lists(st.integers(0, 10**5), min_size=0, max_size=4).filter(  # torch holds no tensor of more
        lambda shape: math.prod(shape) < 2**62)  # values than an int64 counts (its numel would overflow)
    tensors = draw(st.dictionaries(names, st.tuples(shapes, st.booleans()), max_size=12))
    return config, tensors


def _write_crafted(path, config, tensors):
    """As a pickle of the NVIDIA layout's outer dict would hold them: torch's own reader for tensors."""
    state = {}
    for name, (shape, repeated) in tensors.items():
        count = 1
        for side in shape:
            count *= side
        state[name] = torch.zeros(1).as_strided(shape, [0] * len(shape)) if repeated or count > 4096 \
            else torch.zeros(shape)
    torch.save({"g_ema": state, "config": config}, path)
    return path


@pytest.mark.timeout(300)
@settings(max_examples=int(os.environ.get("INVGEN_FUZZ_BUDGET_EXAMPLES", "5")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(examples=st.lists(_crafted(), min_size=30, max_size=30))
def test_any_config_and_tensor_header_under_64_kb_is_refused_or_loaded_within_the_budget(tmp_path_factory, examples):
    """Each hypothesis example is 30 crafted files (safetensors with the config, rosinality-shaped torch files),
    read one after the other in one fresh process: its peak memory over all of them stays in the budget, and each
    is refused with a one-line error or loads (a ``CheckpointError`` is a ``UserError``: anything else fails)."""
    import json

    from safetensors.torch import save

    folder = tmp_path_factory.mktemp("crafted")
    paths = []
    for index, (config, tensors) in enumerate(examples):
        if index % 2:
            path = _write_crafted(folder / f"{index}.pt", config, tensors)
        else:
            state = {name: torch.zeros([min(side, 6) for side in shape]) for name, (shape, _) in tensors.items()}
            path = folder / f"{index}.safetensors"
            path.write_bytes(save(state, metadata={"format": "invgen-stylegan2", "config": json.dumps(config)}))
        assert path.stat().st_size < 64 * 1024
        paths.append(str(path))
    cost = cost_of(f"""
outcomes = []
for path in {paths!r}:
    try:
        load_checkpoint(path)
        outcomes.append("loaded")
    except UserError as error:
        assert "\\n" not in str(error) and path in str(error), error
        outcomes.append("refused")
""", prelude=LOAD)
    assert cost.error == "" and cost.megabytes < BUDGET_MB, cost
