"""The Python API refuses bad values with the same one-line errors, before any compute."""

import math

import pytest
import torch

import invgen
from invgen.errors import UserError

DIGIT = torch.zeros(1, 1, 32, 32)


def _solve_with(**changes):
    arguments = {"observed": DIGIT, "generator": "stylegan2-mnist32", "steps": 2, **changes}
    return invgen.reconstruct(**arguments)


CASES = [  # (keyword changes of invgen.reconstruct, message)
    ({"observed": torch.full((1, 1, 32, 32), 200, dtype=torch.uint8)}, r"torch.uint8 looks like 0..255 pixels.*/ 127.5 - 1"),
    ({"observed": torch.full((1, 1, 32, 32), math.nan)}, r"holds NaN or infinite values"),
    ({"observed": torch.zeros(32, 32)}, r"must be \[C, H, W\] or \[B, C, H, W\], got shape \(32, 32\)"),
    ({"observed": [[0.0] * 32] * 32}, r"must be a tensor or a file path, not list"),
    ({"observed": torch.zeros(1, 1, 16, 16)}, r"the observation is 1x16x16 but 'stylegan2-mnist32' \(1x32x32\)"),
    ({"observed": torch.zeros(1, 3, 32, 32)}, r"the observation is 3x32x32"),
    ({"observed": "no/such/picture.png"}, r"no/such/picture.png: no such file"),
    ({"ground_truth": torch.zeros(1, 1, 16, 16)}, r"ground_truth is 1x16x16 but 'stylegan2-mnist32' makes 1x32x32"),
    ({"ground_truth": torch.full((1, 1, 32, 32), 255.0)}, r"ground_truth reaches 255, outside the \[-1, 1\] of images: "
                                                          r"0..255 data\? pass x / 127.5 - 1"),
    ({"ground_truth": torch.zeros(2, 1, 32, 32)}, r"ground_truth holds 2 images for 1 observations"),
    ({"generator": "stylegan2-mnist64"}, r"unknown generator 'stylegan2-mnist64'"),
    ({"forward": ["downsample:factor=4", "blur:sigma=-2"]}, r"blur: sigma=-2 is invalid"),
    ({"forward": "downsample:factor=3"}, r"cannot take 1x32x32 images: factor 3 does not divide"),
    ({"preset": "fastest"}, r"unknown preset 'fastest'"),
    ({"losses": ["pixel:sigma=0"]}, r"pixel: sigma=0 is invalid"),
    ({"steps": 0}, r"steps must be a whole number >= 1, not 0"),
    ({"lr": math.nan}, r"lr must be a number > 0, not nan"),
    ({"schedule": "linear"}, r"schedule must be one of constant, cosine, not 'linear'"),
    ({"precision": "fp8"}, r"precision must be one of fp32, bf16, not 'fp8'"),
    ({"device": "tpu"}, r"unknown device 'tpu': use auto, cpu, cuda or cuda:N"),
    ({"init": torch.zeros(1, 3, 7)}, r"init must be latents of shape \[1, 8, 128\] \(one per observation, the "
                                     r"generator.s layers and width\), got \[1, 3, 7\]"),
]


@pytest.mark.parametrize("changes, message", CASES, ids=[" ".join(f"{k}" for k in c[0]) + f"-{i}"
                                                          for i, c in enumerate(CASES)])
def test_reconstruct_refuses_bad_values_in_one_line(changes, message):
    with pytest.raises(UserError, match=message) as caught:
        _solve_with(**changes)
    assert "\n" not in str(caught.value)


def test_sample_posterior_refuses_zero_samples_before_any_compute():
    with pytest.raises(UserError, match=r"samples must be a whole number from 1 to 1024, not 0"):
        invgen.sample_posterior(DIGIT, "stylegan2-mnist32", samples=0)


def test_solve_refuses_what_is_not_settings():
    problem = invgen.build_problem(DIGIT, "stylegan2-mnist32")
    with pytest.raises(UserError, match=r"settings must be MAPSettings, VISettings or MCMCSettings, not dict"):
        invgen.solve(problem, {"steps": 10})
