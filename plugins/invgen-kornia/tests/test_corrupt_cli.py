"""`invgen corrupt` writes observations that `invgen run` reconstructs without --simulate."""

import json

import numpy as np
from PIL import Image
from skimage import data
from typer.testing import CliRunner

from invgen.cli.app import create_app


def test_corrupt_then_run(tmp_path):
    photo = data.camera()[::16, ::16]
    Image.fromarray(photo).save(tmp_path / "clean.png")
    runner = CliRunner()
    result = runner.invoke(create_app(), ["corrupt", "-f", "blur:sigma=1", "-f", "downsample:factor=2", "-i",
                                          str(tmp_path / "clean.png"), "-o", str(tmp_path / "obs.png")])
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "obs.png").size == (16, 16)
    result = runner.invoke(create_app(), ["corrupt", "-f", "center-mask:fraction=0.25", "-i",
                                          str(tmp_path / "clean.png"), "-o", str(tmp_path / "inp.png")])
    assert result.exit_code == 0 and (tmp_path / "inp_mask.png").exists()
    mask = np.asarray(Image.open(tmp_path / "inp_mask.png"))
    assert mask[16, 16] == 0 and mask[0, 0] == 255
    out = tmp_path / "run"
    result = runner.invoke(create_app(), ["run", "-g", "toy:size=32", "-f", "blur:sigma=1", "-f",
                                          "downsample:factor=2", "-i", str(tmp_path / "obs.png"), "-o", str(out),
                                          "--loss", "pixel", "--steps", "5"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "run.json").read_text())["forward"] == ["blur:sigma=1", "downsample:factor=2"]


def test_noisy_observations_are_not_clipped_and_match_what_run_simulates(tmp_path):
    """`corrupt` refuses a PNG that would clip, and its .npz is the observation `run --simulate` solves for."""
    import torch

    from invgen.io.images import load_image
    from invgen.problem.build import build_problem

    Image.fromarray(data.camera()[::16, ::16]).save(tmp_path / "clean.png")
    runner = CliRunner()
    command = ["corrupt", "-f", "noise:std=0.3", "-i", str(tmp_path / "clean.png"), "--seed", "4"]
    refused = runner.invoke(create_app(), [*command, "-o", str(tmp_path / "noisy.png")])
    assert refused.exit_code == 2 and "would clip" in refused.stderr and not (tmp_path / "noisy.png").exists()
    assert runner.invoke(create_app(), [*command, "-o", str(tmp_path / "noisy.npz")]).exit_code == 0
    written = load_image(tmp_path / "noisy.npz")
    assert written.abs().max() > 1  # kept, not clipped
    simulated = build_problem(str(tmp_path / "clean.png"), "toy:size=32", "noise:std=0.3", losses=["pixel"],
                              simulate=True, seed=4).observation
    assert torch.equal(written, simulated)
