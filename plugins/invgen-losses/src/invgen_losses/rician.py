"""The Rician data term: the exact likelihood of MRI magnitude images (the ``rician`` noise model)."""

from __future__ import annotations

import torch
from torch import Tensor

from invgen.plugin import ForwardModel, Loss
from invgen_losses.pixel import parse_sigma


class RicianLoss(Loss):
    """Per observation, over the known pixels: the negative log-likelihood of the observed magnitude ``m_y``
    given the predicted ``m_p`` (both read from [-1, 1] as magnitudes in [0, 1]) under Rician noise of std
    ``s = sigma / 2``: ``(m_y^2 + m_p^2) / (2 s^2) - log I0(m_y m_p / s^2)``, up to a constant that does not
    depend on the prediction (``-log(m_y / s^2)``). ``sigma=auto`` takes the forward chain's noise level."""

    def __init__(self, sigma: str = "auto") -> None:
        super().__init__()
        requested = parse_sigma(sigma)
        if requested == "none":
            raise ValueError("sigma=none: the Rician likelihood needs a noise level (auto or a number)")
        self.requested = requested
        self.sigma: float | None = requested if isinstance(requested, float) else None

    def bind(self, forward_model: ForwardModel) -> None:
        if self.requested == "auto":
            self.sigma = forward_model.noise_std

    def forward(self, prediction: Tensor, observation: Tensor, mask: Tensor | None) -> Tensor:
        if self.sigma is None:
            raise ValueError("the rician loss has sigma=auto but the forward chain has no noise model; give "
                             "rician:sigma=NUMBER")
        spread = (self.sigma / 2) ** 2
        observed = ((observation + 1) / 2).clamp_min(0)
        predicted = ((prediction + 1) / 2).clamp_min(0)
        argument = observed * predicted / spread
        nll = (observed.square() + predicted.square()) / (2 * spread) - torch.special.i0e(argument).log() - argument
        if mask is not None:
            nll = nll * mask
        return nll.flatten(1).sum(1)
