"""Reduced versions of the documented experiments with the embedded model (seconds, not hours)."""

import json

import torch
from typer.testing import CliRunner

import invgen
from invgen.cli.app import create_app
from invgen.plugins import registry


def test_eval_on_four_held_out_digits(tmp_path):
    out = tmp_path / "eval"
    result = CliRunner().invoke(create_app(), [
        "eval", "-g", "stylegan2-mnist32", "--data", "mnist5k-holdout", "--limit", "4", "-t", "sr4", "-t",
        "inpaint-large", "-m", "pixel", "-m", "bicubic", "-m", "biharmonic", "--steps", "20", "--output", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "results.json").read_text())["summary"]
    assert {(r["task"], r["method"]) for r in summary} == {("sr4", "pixel"), ("sr4", "bicubic"),
                                                           ("inpaint-large", "pixel"), ("inpaint-large", "biharmonic")}
    for row in summary:
        assert row["n"] == 4 and 0 < row["rmse"] < 255 and 0 < row["psnr"] < 60 and 0 < row["ssim"] <= 1
    assert (out / "figure_sr4.png").is_file() and (out / "results.md").is_file()


def test_posterior_is_wider_where_the_mask_hides_the_digit():
    holdout = registry().datasets["mnist5k-holdout"].load()
    clean = holdout[torch.tensor([25, 175, 325])]
    forward = invgen.forward_model("center-mask:fraction=0.4")
    posterior = invgen.sample_posterior(forward.simulate(clean), "stylegan2-mnist32", forward, samples=6,
                                        settings=invgen.VISettings(steps=40, map_steps=60))
    unknown = posterior.mask[0, 0] < 0.5
    std = posterior.std[:, 0]
    inside, outside = std[:, unknown].mean().item(), std[:, ~unknown].mean().item()
    assert inside >= 3 * outside, (inside, outside)
