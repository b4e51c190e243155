"""StyleGAN2 behind invgen's Generator interface: contract, W+ shapes, latent statistics cache, classes."""

import json
import tempfile
from pathlib import Path

import pytest
import torch

import invgen
from invgen.testing.contracts import GeneratorContract
from invgen_stylegan2.checkpoints.loading import save_safetensors
from invgen_stylegan2.generator import StyleGAN2Generator
from invgen_stylegan2.testing import make_network

_FOLDER = Path(tempfile.mkdtemp(prefix="invgen-sg2-"))


def checkpoint_file(name="g.safetensors", **kwargs) -> Path:
    path = _FOLDER / name
    if not path.exists():
        network, config = make_network(**kwargs)
        save_safetensors(network, config, path)
    return path


class TestStyleGAN2Contract(GeneratorContract):
    bad_specs = ("stylegan2", "stylegan2:weights=/no/such/file.pkl", "stylegan2:noise=loud")
    value_bound = 10.0  # random weights are not trained to stay in [-1, 1]

    @property
    def spec(self):
        return f"stylegan2:weights={checkpoint_file()},noise=const"


@pytest.fixture(autouse=True)
def invgen_home(tmp_path, monkeypatch):
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_named_spec_builds_from_file_with_w_plus_shapes():
    generator = invgen.generator(f"stylegan2:weights={checkpoint_file()}")
    assert isinstance(generator, StyleGAN2Generator) and generator.noise == "none"
    assert generator.latent_shape == (8, 32) and generator.image_shape == (1, 32, 32)
    w = generator.initial_latent(2).requires_grad_(True)
    image = generator(w)
    assert image.shape == (2, 1, 32, 32)
    image.sum().backward()
    assert w.grad.abs().sum(dim=2).min() > 0


def test_latent_stats_are_cached_by_sha256(invgen_home):
    generator = invgen.generator(f"stylegan2:weights={checkpoint_file()}")
    stats = generator.latent_stats()
    cache = invgen_home / "stats" / f"stylegan2-{generator.sha256}.json"
    assert cache.is_file() and json.loads(cache.read_text())["samples"] == 10_000
    again = invgen.generator(f"stylegan2:weights={checkpoint_file()}")
    record = json.loads(cache.read_text())
    record["std"] = 123.0
    cache.write_text(json.dumps(record))
    assert again.latent_stats().std.item() == 123.0, "the second build must read the cache"
    assert torch.allclose(again.latent_stats().mean, stats.mean)
    z = torch.randn(10_000, 32, generator=torch.Generator().manual_seed(0))
    w = generator.map(z)[:, 0]
    assert torch.allclose(stats.mean, w.mean(0), atol=1e-5)
    assert stats.std.item() == pytest.approx(w.std().item(), rel=1e-5)


@pytest.mark.parametrize("damage", ["{not json", "[]", '{"samples": 10000, "mean": [1, 2], "std": 1, "std_per_dim": [1]}',
                                    '{"samples": 10000, "mean": "x", "std": 1, "std_per_dim": 1}', ""])
def test_a_damaged_stats_cache_is_computed_again_and_rewritten(invgen_home, damage):
    generator = invgen.generator(f"stylegan2:weights={checkpoint_file()}")
    expected = generator.latent_stats()
    cache = invgen_home / "stats" / f"stylegan2-{generator.sha256}.json"
    cache.write_text(damage)
    again = invgen.generator(f"stylegan2:weights={checkpoint_file()}").latent_stats()
    assert torch.allclose(again.mean, expected.mean) and again.std == expected.std
    assert json.loads(cache.read_text())["samples"] == 10_000


def test_conditional_generator_draws_classes_uniformly_from_z():
    network, _ = make_network(c_dim=10)
    generator = StyleGAN2Generator(network)
    z = torch.randn(5000, network.z_dim, generator=torch.Generator().manual_seed(0))
    counts = generator.labels_for(z).sum(0)
    assert counts.min() > 400 and counts.max() < 600
    assert torch.equal(generator.map(z[:4]), generator.map(z[:4]))


def test_bad_noise_value():
    with pytest.raises(ValueError, match="noise must be one of"):
        StyleGAN2Generator(make_network()[0], noise="loud")


def test_speed_notes_say_whether_the_c_kernels_run_where_they_would(monkeypatch):
    from invgen_stylegan2.fast import native

    network, _ = make_network()
    assert StyleGAN2Generator(network, modconv="fused").speed_notes(torch.device("cpu")) == {}
    generator = StyleGAN2Generator(network)
    assert generator.speed_notes(torch.device("cuda")) == {}  # the fused form there: no Winograd
    native.forget()
    monkeypatch.setenv("INVGEN_NATIVE", "0")
    assert generator.speed_notes(torch.device("cpu")) == {"C kernels (Winograd tile transforms)": "off: INVGEN_NATIVE=0"}
    native.forget()
    monkeypatch.delenv("INVGEN_NATIVE")
    if native.library() is not None:
        assert generator.speed_notes(torch.device("cpu")) == {"C kernels (Winograd tile transforms)": "on"}
    native.forget()
