"""The classical MRI answers: zero-filled (the inverse FFT of the acquired k-space, the rest set to 0, combined
over coils by their maps) and, for several coils, SENSE (least squares over the image, by conjugate gradients)."""

from __future__ import annotations

import torch
from torch import Tensor

from invgen_mri.kspace import KSpace

SENSE_ITERATIONS = 60
SENSE_DAMPING = 1e-6  # a little Tikhonov damping keeps CG stable where no coil sees the image


def _kspace(chain: object) -> KSpace | None:
    parts = list(getattr(chain, "parts", [chain]))
    return parts[-1] if len(parts) == 1 and isinstance(parts[-1], KSpace) else None


def applies(chain: object, shape: tuple[int, ...]) -> bool:
    """A chain that is one k-space sampling of the image."""
    return _kspace(chain) is not None


def applies_sense(chain: object, shape: tuple[int, ...]) -> bool:
    """One k-space sampling through several coils (with one coil SENSE is the zero-filled image)."""
    model = _kspace(chain)
    return model is not None and model.coils > 1


def zero_filled(observation: Tensor, chain: object, shape: tuple[int, ...]) -> Tensor:
    """``Re(sum_c conj(S_c) F^H y_c)`` clipped to [-1, 1]: the classical answer every MRI method is compared with."""
    model = _kspace(chain)
    assert model is not None, "zero-filled applies only to a k-space chain"
    return model.adjoint(observation).clamp(-1, 1)


def sense(observation: Tensor, chain: object, shape: tuple[int, ...]) -> Tensor:
    """SENSE: the image x minimising ``sum_c ||M F S_c x - y_c||^2`` (plus :data:`SENSE_DAMPING` ||x||^2), by
    :data:`SENSE_ITERATIONS` conjugate-gradient steps on the normal equations, clipped to [-1, 1]."""
    model = _kspace(chain)
    assert model is not None, "sense applies only to a k-space chain"
    values = observation.double()
    right = model.adjoint(values)
    x = torch.zeros_like(right)
    residual = right.clone()
    direction = residual.clone()
    power = _dot(residual, residual)
    for _ in range(SENSE_ITERATIONS):
        applied = model.adjoint(model(direction)) + SENSE_DAMPING * direction
        step = power / _dot(direction, applied).clamp_min(1e-300)
        x = x + step * direction
        residual = residual - step * applied
        new_power = _dot(residual, residual)
        if bool((new_power.sqrt() <= 1e-10 * _dot(right, right).sqrt()).all()):
            break
        direction = residual + (new_power / power.clamp_min(1e-300)) * direction
        power = new_power
    return x.to(observation.dtype).clamp(-1, 1)


def _dot(a: Tensor, b: Tensor) -> Tensor:
    """Per-observation inner products, shaped to broadcast over ``[B, C, H, W]``."""
    return (a * b).flatten(1).sum(1).view(-1, 1, 1, 1)
