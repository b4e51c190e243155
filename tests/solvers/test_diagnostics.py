"""Split R-hat and the effective sample size against ArviZ (arviz-stats, a test extra)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from invgen.solvers.diagnostics import effective_sample_size, split_rhat

array_stats = pytest.importorskip("arviz_stats.base", reason="the oracle is arviz-stats (the core's test extra)").array_stats


def autoregressive(chains: int, draws: int, phi: float, offsets: list[float], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.zeros((chains, draws))
    for chain in range(chains):
        for t in range(1, draws):
            values[chain, t] = phi * values[chain, t - 1] + rng.normal()
        values[chain] += offsets[chain]
    return values


@pytest.mark.parametrize("phi,offsets,draws", [(0.0, [0, 0, 0, 0], 400), (0.9, [0, 0, 0, 0], 1000),
                                               (0.5, [0, 2.0, 0, 0], 301), (0.7, [0, 0.1], 200)])
def test_matches_arviz(phi: float, offsets: list[float], draws: int) -> None:
    values = autoregressive(len(offsets), draws, phi, offsets, seed=draws)
    expected_rhat = array_stats.rhat(values, method="split", chain_axis=0, draw_axis=1)
    expected_ess = array_stats.ess(values, method="mean", chain_axis=0, draw_axis=1)
    assert split_rhat(torch.tensor(values)).item() == pytest.approx(float(expected_rhat), rel=1e-6)
    assert effective_sample_size(torch.tensor(values)).item() == pytest.approx(float(expected_ess), rel=1e-6)


def test_too_few_draws_give_nan_not_an_error() -> None:
    assert torch.isnan(split_rhat(torch.zeros(2, 3))) and torch.isnan(effective_sample_size(torch.ones(2, 3)))


def test_batched_over_leading_dimensions() -> None:
    values = torch.tensor(np.stack([autoregressive(3, 100, 0.5, [0, 0, 0], seed) for seed in range(3)]))
    rhat, ess = split_rhat(values), effective_sample_size(values)
    assert rhat.shape == ess.shape == (3,)
    for index in range(3):
        assert rhat[index].item() == pytest.approx(split_rhat(values[index]).item())
        assert ess[index].item() == pytest.approx(effective_sample_size(values[index]).item())
