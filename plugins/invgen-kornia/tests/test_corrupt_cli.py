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
