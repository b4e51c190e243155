"""The pixel data term: a Gaussian (or Laplace) likelihood on the known pixels."""

from __future__ import annotations

import math

from torch import Tensor

from invgen.plugin import ForwardModel, Loss


def parse_sigma(sigma: str) -> float | None | str:
    """``auto`` (from the forward chain's noise model), ``none`` (plain mean error) or a positive number."""
    if sigma in ("auto", "none"):
        return sigma
    try:
        value = float(sigma)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"sigma={sigma} is invalid (expected auto, none or a number > 0)")
    return value


class PixelLoss(Loss):
    """Per observation: ``sum over known values of (f(G(w)) - y)^2 / (2 sigma^2)`` (``norm=l2``).

    That is the exact negative log-likelihood of Gaussian noise of std ``sigma`` (in [-1, 1]
    units), up to a constant, so its weight against the priors has a meaning. ``norm=l1`` is
    the Laplace likelihood with the same std (``sum |d| * sqrt(2) / sigma``). ``sigma=auto``
    takes the std of the forward chain's noise model; without one (or with ``sigma=none``)
    the term is the plain mean squared (or absolute) error over the known values.
    """

    def __init__(self, sigma: str = "auto", norm: str = "l2") -> None:
        super().__init__()
        self.requested = parse_sigma(sigma)
        self.norm = norm
        self.sigma: float | None = self.requested if isinstance(self.requested, float) else None

    def bind(self, forward_model: ForwardModel) -> None:
        if self.requested == "auto":
            self.sigma = forward_model.noise_std

    def forward(self, prediction: Tensor, observation: Tensor, mask: Tensor | None) -> Tensor:
        difference = prediction - observation
        error = difference.square() if self.norm == "l2" else difference.abs()
        if mask is not None:
            error = error * mask
        total = error.flatten(1).sum(1)
        if self.sigma is None:
            if mask is None:
                return total / error[0].numel()
            known = mask.expand(prediction.shape[0], 1, *mask.shape[2:]).flatten(1).sum(1)
            return total / (known * prediction.shape[1]).clamp_min(1)
        if self.norm == "l2":
            return total / (2 * self.sigma**2)
        return total * math.sqrt(2) / self.sigma
