"""A digit from 4x undersampled k-space with the embedded generator: better than zero-filled, and a complex
k-space .npy goes through `invgen run` like the simulated observation."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from invgen.cli.app import create_app

pytest.importorskip("invgen_stylegan2", reason="uses the embedded stylegan2-mnist32 generator")
DIGIT = "examples/holdout_1950_digit3.png"


@pytest.fixture(autouse=True)
def at_the_repository_root(monkeypatch, request):
    monkeypatch.chdir(request.config.rootpath)


def run(*args):
    return CliRunner().invoke(create_app(), ["run", "-g", "stylegan2-mnist32", "-f", "kspace:R=4,center=0.08",
                                             "--preset", "pixel", "--lr", "0.03", *map(str, args)])


def test_a_digit_from_4x_undersampled_kspace_beats_zero_filled(tmp_path):
    result = run("--simulate", "-i", DIGIT, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["metrics"]["psnr"][0] > record["baselines"]["zero-filled"]["psnr"] + 3.0


def test_complex_kspace_from_a_file_is_the_simulated_observation(tmp_path):
    from invgen.io.images import load_image
    from invgen_mri.kspace import to_kspace

    clean = load_image(DIGIT, 1)
    model = __import__("invgen").forward_model("kspace:R=4,center=0.08")
    k = to_kspace(clean)[0, 0] * model.mask((1, 32, 32))[0, 0]
    np.save(tmp_path / "k.npy", k.numpy().astype(np.complex64))
    from_file = run("-i", tmp_path / "k.npy", "-o", tmp_path / "file", "--steps", "20")
    simulated = run("--simulate", "-i", DIGIT, "-o", tmp_path / "sim", "--steps", "20")
    assert from_file.exit_code == 0 and simulated.exit_code == 0, from_file.output + simulated.output
    a = load_image(tmp_path / "file" / "reconstruction.png")
    b = load_image(tmp_path / "sim" / "reconstruction.png")
    assert torch.allclose(a, b, atol=2 / 255)


def test_without_a_preset_kspace_asks_for_the_pixel_likelihood(tmp_path):
    result = CliRunner().invoke(create_app(), ["run", "-g", "stylegan2-mnist32", "-f", "kspace:R=4,center=0.08",
                                               "--simulate", "-i", DIGIT, "-o", str(tmp_path / "out"), "--steps", "5"])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["preset"] == "pixel" and record["losses"] == ["pixel"]
