"""Convergence diagnostics of Markov chains: split R-hat and the effective sample size.

Both follow Vehtari, Gelman, Simpson, Carpenter & Buerkner (2021), "Rank-normalization, folding, and
localization: an improved R-hat" (Bayesian Analysis 16(2)), without the rank normalisation: each chain is
split in halves, R-hat compares the variance between the half-chains with the variance within them (1 when
they agree), and the effective sample size sums the chains' combined autocorrelations up to Geyer's initial
monotone positive sequence, as Stan computes it. ``tests/solvers/test_diagnostics.py`` checks both against ArviZ.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _halves(chains: Tensor) -> Tensor:
    """``[..., M, N]`` chains as ``[..., 2M, N // 2]`` half-chains (the middle draw of an odd N is dropped)."""
    half = chains.shape[-1] // 2
    return torch.cat([chains[..., :half], chains[..., chains.shape[-1] - half:]], dim=-2)


def split_rhat(chains: Tensor) -> Tensor:
    """Split R-hat of ``chains [..., M, N]`` (M chains of N draws of one quantity): ``[...]``; NaN with fewer
    than 4 draws, 1 for constant chains that agree, infinite for constant chains that do not."""
    values = _halves(chains.double())
    draws = values.shape[-1]
    if draws < 2:
        return torch.full(values.shape[:-2], float("nan"), dtype=torch.float64)
    means = values.mean(-1)
    between = draws * means.var(-1)
    within = values.var(-1).mean(-1)
    estimate = (draws - 1) / draws * within + between / draws
    ratio = (estimate / within).sqrt()
    agree = (within == 0) & (between == 0)
    return torch.where(agree, torch.ones_like(ratio), torch.where(within == 0, torch.full_like(ratio, float("inf")),
                                                                  ratio))


def _autocovariance(values: Tensor) -> Tensor:
    """Per chain, the autocovariance at every lag ``[..., M, N]`` (biased estimator, by FFT)."""
    draws = values.shape[-1]
    centred = values - values.mean(-1, keepdim=True)
    size = 1 << (2 * draws - 1).bit_length()
    spectrum = torch.fft.rfft(centred, n=size)
    return torch.fft.irfft(spectrum * spectrum.conj(), n=size)[..., :draws] / draws


def effective_sample_size(chains: Tensor) -> Tensor:
    """The effective sample size of ``chains [..., M, N]`` (of the split chains, as R-hat): ``[...]``; M*N for
    independent draws, less the more the draws are autocorrelated; NaN when every draw is equal or there are
    fewer than 4 draws."""
    values = _halves(chains.double())
    count, draws = values.shape[-2:]
    if draws < 2:
        return torch.full(values.shape[:-2], float("nan"), dtype=torch.float64)
    covariance = _autocovariance(values)
    within = covariance[..., 0].mean(-1) * draws / max(draws - 1, 1)
    means = values.mean(-1)
    between = draws * means.var(-1) if count > 1 else torch.zeros_like(within)
    variance = (draws - 1) / draws * within + between / draws
    rho = 1 - (within[..., None] - covariance.mean(-2)) / variance[..., None]  # [..., N] combined autocorrelation
    rho[..., 0] = 1.0
    flat = rho.reshape(-1, draws)
    result = torch.empty(len(flat), dtype=torch.float64)
    for index, row in enumerate(flat):
        result[index] = count * draws / _autocorrelation_time(row, count * draws)
    return result.view(rho.shape[:-1]).where(variance > 0, torch.full_like(variance, float("nan")))


def _autocorrelation_time(rho: Tensor, total: int) -> float:
    """Stan's estimate of the integrated autocorrelation time from the combined autocorrelations ``rho [N]``:
    the pair sums rho[t] + rho[t+1] (t odd) taken while positive, made monotone (Geyer's initial monotone
    sequence), tau = -1 + 2 * sum, plus the first dropped even-lag value when positive (which lowers the variance
    for antithetic chains), never below 1 / log10(total draws)."""
    values = rho.tolist()
    draws = len(values)
    kept = [0.0] * draws
    kept[0] = 1.0
    even, odd = 1.0, values[1] if draws > 1 else 0.0
    if draws > 1:
        kept[1] = odd
    t = 1
    while t < draws - 3 and even + odd > 0:
        even, odd = values[t + 1], values[t + 2]
        if even + odd >= 0:
            kept[t + 1], kept[t + 2] = even, odd
        t += 2
    last = t - 2
    if even > 0 and last + 1 < draws:
        kept[last + 1] = even
    t = 1
    while t <= last - 2:
        if kept[t + 1] + kept[t + 2] > kept[t - 1] + kept[t]:
            kept[t + 1] = kept[t + 2] = (kept[t - 1] + kept[t]) / 2
        t += 2
    tau = -1 + 2 * sum(kept[:last + 1]) + sum(kept[last + 1:last + 2])
    return max(tau, 1 / math.log10(max(total, 2)))
