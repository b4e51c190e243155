"""`invgen stylegan2 info|convert|sample|kernels` and `invgen run` with a StyleGAN2 checkpoint, end to end."""

import json

import pytest
from PIL import Image
from typer.testing import CliRunner

from invgen.cli.app import create_app
from invgen_stylegan2.testing import make_network, write_nvidia_pickle, write_rosinality

runner = CliRunner()


@pytest.fixture
def checkpoints(tmp_path, monkeypatch):
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    network, config = make_network(channels=1)
    write_nvidia_pickle(network, config, tmp_path / "g.pkl")
    write_rosinality(make_network(channels=3)[0], tmp_path / "g.pt")
    return tmp_path


@pytest.mark.parametrize("name", ["g.pkl", "g.pt"])
def test_info_convert_and_sample(checkpoints, name):
    source = checkpoints / name
    info = runner.invoke(create_app(), ["stylegan2", "info", str(source)])
    assert info.exit_code == 0, info.output
    for field in ("format", "resolution", "num_ws", "w_dim", "parameters", "sha256"):
        assert field in info.output
    target = checkpoints / f"{name}.safetensors"
    converted = runner.invoke(create_app(), ["stylegan2", "convert", str(source), str(target)])
    assert converted.exit_code == 0, converted.output
    assert "safetensors" in runner.invoke(create_app(), ["stylegan2", "info", str(target)]).output
    grid = checkpoints / f"{name}.png"
    sampled = runner.invoke(create_app(), ["stylegan2", "sample", "-g", str(target), "--n", "4", "--seed", "1",
                                           "--truncation", "0.7", "--out", str(grid)])
    assert sampled.exit_code == 0, sampled.output
    assert Image.open(grid).size == (2 + 2 * 34, 2 + 2 * 34)


def test_info_on_a_bad_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not a checkpoint")
    result = runner.invoke(create_app(), ["stylegan2", "info", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "unknown file format" in result.stderr


def test_run_reconstructs_with_a_random_network(checkpoints, tmp_path):
    from invgen.io.images import save_image
    import invgen
    import torch

    generator = invgen.generator(f"stylegan2:weights={checkpoints / 'g.pkl'}")
    clean = generator(generator.map(torch.randn(1, generator.z_dim, generator=torch.Generator().manual_seed(4))))
    save_image(tmp_path / "clean.png", clean.clamp(-1, 1))
    out = tmp_path / "out"
    result = runner.invoke(create_app(), ["run", "-g", f"stylegan2:weights={checkpoints / 'g.pkl'}", "-f",
                                          "blur:sigma=1", "-i", str(tmp_path / "clean.png"), "-o", str(out),
                                          "--simulate", "--loss", "pixel", "--prior", "w-gaussian:weight=0.001",
                                          "--steps", "30"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    assert record["generator"].startswith("stylegan2:weights=") and record["metrics"]["psnr"][0] > 0


def test_kernels_says_whether_the_c_kernels_are_in_use(monkeypatch):
    from invgen_stylegan2.fast import native

    native.forget()
    monkeypatch.setenv("INVGEN_NATIVE", "0")
    result = runner.invoke(create_app(), ["stylegan2", "kernels"])
    native.forget()
    assert result.exit_code == 0
    assert result.output == "C kernels (Winograd tile transforms): off: INVGEN_NATIVE=0\n"
