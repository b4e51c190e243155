"""`invgen run --preset brgm` end to end on the CPU with the LPIPS backbones (../shared or the weights cache)."""

import json

import torch
from typer.testing import CliRunner

import invgen
from invgen.cli.app import create_app
from invgen.io.images import save_image


def test_run_with_the_brgm_preset(tmp_path, lpips_weights):
    generator = invgen.generator("toy:size=32")
    save_image(tmp_path / "clean.png", generator(generator.map(torch.randn(1, 8))))
    out = tmp_path / "out"
    result = CliRunner().invoke(create_app(), ["run", "-g", "toy:size=32", "-f", "downsample:factor=2", "--simulate",
                                               "-i", str(tmp_path / "clean.png"), "-o", str(out), "--preset", "brgm",
                                               "--prior", "colinear:reduce=sum,weight=0.2", "--steps", "5"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    assert record["preset"] == "brgm"
    assert record["losses"] == ["lpips:weight=1.2507", "pixel:sigma=none,weight=16.256"]
    assert record["priors"] == ["w-gaussian:scale=norm,reduce=mean,weight=100", "colinear:reduce=sum,weight=0.2"]
    assert set(record["final_terms"]) == {"total", "lpips", "pixel", "w-gaussian", "colinear"}
    assert "lpips" in record["metrics"]
