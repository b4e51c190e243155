"""Checkpoint formats: detection, identical outputs after each round trip, refusals of bad files."""

import os
import pickle

import pytest
import torch

from invgen_stylegan2.checkpoints.loading import CheckpointError, load_checkpoint, save_safetensors
from invgen_stylegan2.testing import make_network, write_nvidia_pickle, write_rosinality


def _same_outputs(a, b):
    z = torch.randn(3, a.z_dim, generator=torch.Generator().manual_seed(5))
    ws_a, ws_b = a.mapping(z), b.mapping(z)
    assert torch.equal(ws_a, ws_b)
    for mode in ("none", "const"):
        assert torch.equal(a.synthesis(ws_a, mode), b.synthesis(ws_b, mode))


@pytest.mark.parametrize("architecture", ["skip", "resnet"])
def test_safetensors_round_trip(tmp_path, architecture):
    network, config = make_network(architecture=architecture, channels=3)
    save_safetensors(network, config, tmp_path / "g.safetensors")
    loaded = load_checkpoint(tmp_path / "g.safetensors")
    assert loaded.format == "safetensors" and loaded.config == config
    _same_outputs(network, loaded.network)


@pytest.mark.parametrize("c_dim", [0, 10])
def test_nvidia_pickle_layout_loads_identically(tmp_path, c_dim):
    network, config = make_network(c_dim=c_dim, architecture="resnet")
    write_nvidia_pickle(network, config, tmp_path / "g.pkl")
    loaded = load_checkpoint(tmp_path / "g.pkl")
    assert loaded.format == "nvidia-pickle" and loaded.network.c_dim == c_dim
    labels = torch.nn.functional.one_hot(torch.arange(3), c_dim).float() if c_dim else None
    z = torch.randn(3, network.z_dim)
    ws = network.mapping(z, labels)
    assert torch.equal(ws, loaded.network.mapping(z, labels))
    assert torch.equal(network.synthesis(ws, "const"), loaded.network.synthesis(ws, "const"))
    save_safetensors(loaded.network, loaded.config, tmp_path / "g.safetensors")
    converted = load_checkpoint(tmp_path / "g.safetensors").network
    assert torch.equal(converted.synthesis(ws, "const"), loaded.network.synthesis(ws, "const"))


@pytest.mark.parametrize("with_latent_avg", [True, False])
def test_rosinality_layout_loads_identically(tmp_path, with_latent_avg):
    network, _ = make_network(channels=3, channel_max=32)
    write_rosinality(network, tmp_path / "g.pt", with_latent_avg)
    loaded = load_checkpoint(tmp_path / "g.pt")
    assert loaded.format == "rosinality"
    ws = network.mapping(torch.randn(2, network.z_dim))
    assert torch.allclose(network.synthesis(ws, "const"), loaded.network.synthesis(ws, "const"), atol=1e-6)
    if with_latent_avg:
        assert torch.equal(loaded.network.mapping.w_avg, network.mapping.w_avg)


def test_module_source_text_is_never_executed(tmp_path):
    marker = tmp_path / "executed"
    network, config = make_network()
    source = f"import os\nopen({str(marker)!r}, 'w').write('pwned')\nos.system('touch {marker}')\n"
    write_nvidia_pickle(network, config, tmp_path / "g.pkl", module_src=source)
    loaded = load_checkpoint(tmp_path / "g.pkl")
    assert not marker.exists()
    _same_outputs(network, loaded.network)


class _ShellPayload:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _ImportPayload:
    def __reduce__(self):
        return (__import__, ("os",))


@pytest.mark.parametrize("payload", ["shell", "import", "nested"])
def test_malicious_pickles_are_refused_and_run_nothing(tmp_path, payload):
    marker = tmp_path / "pwned"
    evil = {"shell": _ShellPayload(f"touch {marker}"), "import": _ImportPayload()}
    path = tmp_path / "evil.pkl"
    if payload == "nested":
        network, config = make_network()
        write_nvidia_pickle(network, config, path, extra={"augment_pipe": _ShellPayload(f"touch {marker}")})
    else:
        path.write_bytes(pickle.dumps({"G_ema": evil[payload]}))
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert "unsafe pickle refused" in message and "not on the allow-list" in message and "\n" not in message
    assert str(path) in message
    assert not marker.exists()


def test_malicious_torch_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"g_ema": _ShellPayload(f"touch {marker}")}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="unsafe torch checkpoint refused"):
        load_checkpoint(tmp_path / "evil.pt")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty or truncated"), (b"hello world, not a network", "unknown file format"),
     (pickle.dumps({"weights": 1}), "without a 'G_ema' network"), (pickle.dumps([1, 2, 3])[:-3], "truncated or corrupt")],
)
def test_bad_files_give_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.pkl"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message) as caught:
        load_checkpoint(path)
    assert "\n" not in str(caught.value)


def test_truncated_real_checkpoint(tmp_path):
    network, config = make_network()
    write_nvidia_pickle(network, config, tmp_path / "g.pkl")
    data = (tmp_path / "g.pkl").read_bytes()
    (tmp_path / "cut.pkl").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "cut.pkl")
    save_safetensors(network, config, tmp_path / "g.safetensors")
    data = (tmp_path / "g.safetensors").read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "cut.safetensors")


def test_foreign_safetensors_and_wrong_layout(tmp_path):
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(2)}, tmp_path / "other.safetensors")
    with pytest.raises(CheckpointError, match="without invgen's StyleGAN2 config"):
        load_checkpoint(tmp_path / "other.safetensors")
    network, config = make_network()
    config["synthesis_kwargs"]["channel_max"] = 16
    save_safetensors(network, config, tmp_path / "mismatch.safetensors")
    with pytest.raises(CheckpointError, match="has shape"):
        load_checkpoint(tmp_path / "mismatch.safetensors")


@pytest.mark.timeout(60)
def test_a_pickle_sharing_one_list_2_to_the_40_ways_is_refused_not_expanded(tmp_path):
    network, config = make_network()
    shared = [0]
    for _ in range(40):
        shared = [shared, shared]  # pickled once each (the memo): a small file, 2^40 leaves when walked
    write_nvidia_pickle(network, {**config, "notes": shared}, tmp_path / "bomb.pkl")
    write_nvidia_pickle(network, config, tmp_path / "plain.pkl")
    assert (tmp_path / "bomb.pkl").stat().st_size - (tmp_path / "plain.pkl").stat().st_size < 2_000
    with pytest.raises(CheckpointError, match="init_kwargs are larger or deeper than any StyleGAN2's"):
        load_checkpoint(tmp_path / "bomb.pkl")


@pytest.mark.parametrize("key, value, message", [
    ("z_dim", 10**9, r"config z_dim=1000000000 is outside what a StyleGAN2 can have \(an integer from 1 to 4096\)"),
    ("img_resolution", 16384, "img_resolution=16384 is outside"),
    ("img_resolution", 48, "img_resolution=48 is not a power of two"),
    ("w_dim", 0, "w_dim=0 is outside"),
    ("img_channels", 2.5, "img_channels=2.5 is outside"),
    ("synthesis_kwargs", {"channel_base": 1 << 40}, "channel_base=1099511627776 is outside"),
    ("mapping_kwargs", {"num_layers": 10**6}, "num_layers=1000000 is outside"),
])
def test_network_sizes_read_from_a_file_are_checked_before_anything_is_allocated(tmp_path, key, value, message):
    network, config = make_network()
    save_safetensors(network, {**config, key: value}, tmp_path / "g.safetensors")
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "g.safetensors")


def test_weights_holding_nan_are_refused_with_the_tensor_named(tmp_path):
    network, config = make_network()
    with torch.no_grad():
        network.mapping.fc0.weight[0, 0] = float("nan")
    save_safetensors(network, config, tmp_path / "g.safetensors")
    with pytest.raises(CheckpointError, match="tensor mapping.fc0.weight holds NaN or infinite values"):
        load_checkpoint(tmp_path / "g.safetensors")


def test_a_pickle_whose_frame_length_asks_for_terabytes_is_refused(tmp_path):
    network, config = make_network()
    write_nvidia_pickle(network, config, tmp_path / "g.pkl")
    data = bytearray((tmp_path / "g.pkl").read_bytes())
    assert data[2] == pickle.FRAME[0]  # protocol 4: an 8-byte frame length follows
    data[7] = 6  # found by the fuzzer (tests/robustness/test_fuzz_checkpoints.py): a frame of ~25 TB
    (tmp_path / "g.pkl").write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupt pickle \\(a length inside it is impossibly large\\)"):
        load_checkpoint(tmp_path / "g.pkl")
