"""`invgen run --simulate` end to end with the mission's own corruptions (toy generator, few steps)."""

import json

import pytest
import torch
from typer.testing import CliRunner

import invgen
from invgen.cli.app import create_app
from invgen.io.images import save_image


@pytest.mark.parametrize("forward", ["blur:sigma=2", "center-mask:fraction=0.4"])
def test_run_simulate(tmp_path, forward):
    generator = invgen.generator("toy:size=32")
    save_image(tmp_path / "clean.png", generator(generator.map(torch.randn(1, 8))))
    out = tmp_path / "out"
    result = CliRunner().invoke(create_app(), ["run", "-g", "toy:size=32", "-f", forward, "--simulate", "-i",
                                               str(tmp_path / "clean.png"), "-o", str(out), "--preset", "pixel",
                                               "--steps", "10"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    assert record["forward"] == [forward] and record["metrics"]["psnr"][0] > 0
    assert (out / "comparison.png").is_file()
