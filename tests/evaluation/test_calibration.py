"""Coverage and the calibration scale, on a toy problem whose posterior is known exactly."""

import json
import math

import numpy as np
import pytest
import torch
from scipy import stats

from invgen.evaluation.calibration import (Calibration, coverage, coverage_scores, find_calibration, fit_scale, load_calibration, ratios, save_calibration)
from invgen.errors import InputError


def _gaussian_posteriors(count, std, reported, seed):
    """Truths drawn from N(mean, std^2) per pixel: the exact posterior has std ``std``; the method reports
    ``reported`` (over-confident when smaller)."""
    rng = torch.Generator().manual_seed(seed)
    mean = torch.rand(count, 1, 16, 16, generator=rng) * 2 - 1
    truth = mean + std * torch.randn(mean.shape, generator=rng)
    return mean, torch.full_like(mean, reported), truth


def test_coverage_of_an_exact_gaussian_posterior_is_the_normal_probability():
    mean, std, truth = _gaussian_posteriors(200, 0.1, 0.1, seed=0)
    share = coverage(mean, std, truth, 2.0).float().mean().item()
    assert share == pytest.approx(stats.norm.cdf(2) - stats.norm.cdf(-2), abs=0.005)  # 0.9545


def test_calibration_brings_an_over_confident_posterior_to_the_target_on_new_data():
    mean, std, truth = _gaussian_posteriors(100, 0.3, 0.1, seed=1)  # reported std 3x too small
    assert coverage(mean, std, truth).float().mean().item() < 0.5
    scale = fit_scale(ratios(mean, std, truth), target=0.95)
    assert scale == pytest.approx(3 * stats.norm.ppf(0.975) / 2, rel=0.03)  # the exact answer: 2.94
    fresh_mean, fresh_std, fresh_truth = _gaussian_posteriors(100, 0.3, 0.1, seed=2)
    after = coverage(fresh_mean, fresh_std * scale, fresh_truth).float().mean().item()
    assert after == pytest.approx(0.95, abs=0.01)


def test_the_scale_is_the_conformal_order_statistic():
    values = torch.tensor([5.0, 1.0, 3.0, 2.0, 4.0, 0.5, 7.0, 6.0, 8.0, 9.0])
    # n = 10, target 0.8: rank ceil(11 * 0.8) = 9 -> the 9th smallest ratio
    assert fit_scale(values, 0.8) == float(np.sort(values.numpy())[8])
    with pytest.raises(ValueError, match="target coverage"):
        fit_scale(values, 1.0)


def test_zero_std_counts_as_covered_only_where_the_mean_is_exact():
    mean = torch.zeros(1, 1, 1, 2)
    truth = torch.tensor([[[[0.0, 1.0]]]])
    found = ratios(mean, torch.zeros_like(mean), truth)
    assert found[0] == 0 and math.isinf(found[1])


def test_coverage_scores_split_hidden_pixels_when_a_mask_is_given():
    mean = torch.zeros(2, 1, 2, 2)
    truth = torch.tensor([[[[0.0, 0.0], [1.0, 1.0]]], [[[0.0, 1.0], [0.0, 1.0]]]])
    mask = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])  # bottom row hidden
    scores = coverage_scores(mean, torch.full_like(mean, 0.25), truth, mask)
    assert scores["coverage2"] == [0.5, 0.5] and scores["coverage2_unknown"] == [0.0, 0.5]
    assert set(coverage_scores(mean, torch.ones_like(mean), truth)) == {"coverage2"}


def test_a_calibration_file_round_trips_and_is_found_by_its_key(tmp_path, monkeypatch):
    monkeypatch.setenv("INVGEN_HOME", str(tmp_path / "home"))
    made = Calibration("toy", ("test-down",), {"losses": ["test-sse"]}, scale=2.5, images=10, fit_db=(30.0, 35.0, 40.0))
    path = save_calibration(made)
    assert path.parent == tmp_path / "home" / "calibration"
    assert load_calibration(path) == made
    assert find_calibration("toy", ["test-down"], {"losses": ["test-sse"]}) == made
    assert find_calibration("toy", ["test-blur"], {"losses": ["test-sse"]}) is None


@pytest.mark.parametrize("content, message", [
    (None, "no such calibration file"),
    ("not json", "not a calibration file"),
    (json.dumps({"kind": "other"}), "not a calibration file made by `invgen calibrate`"),
    (json.dumps({"kind": "invgen-calibration", "generator": "toy"}), "damaged calibration file"),
    (json.dumps({"kind": "invgen-calibration", "generator": "toy", "forward": [], "objective": {}, "scale": -1,
                 "fit_db": []}), "scale must be a finite number > 0"),
])
def test_bad_calibration_files_are_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / "c.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=message):
        load_calibration(path)


def test_calibration_error_by_hand():
    from invgen.evaluation.calibration import calibration_error

    # bin [0.2, 0.3): p 0.25, 0.25, right once -> |0.25 - 0.5| = 0.25 with weight 2/4;
    # bin [0.9, 1.0]: p 0.95, 1.0, right twice -> |0.975 - 1| = 0.025 with weight 2/4
    probabilities = torch.tensor([0.25, 0.25, 0.95, 1.0])
    correct = torch.tensor([True, False, True, True])
    assert calibration_error(probabilities, correct) == pytest.approx(0.5 * 0.25 + 0.5 * 0.025)
    assert calibration_error(torch.tensor([0.7] * 10, dtype=torch.float64),
                             torch.tensor([True] * 7 + [False] * 3)) == pytest.approx(0.0, abs=1e-12)
