"""The classical MRI answers: zero-filled (the inverse FFT of the acquired k-space, the rest set to 0, combined
over coils by their maps) and, for several coils, SENSE (least squares over the image, by conjugate gradients)."""

from __future__ import annotations

from torch import Tensor

from invgen_mri.kspace import KSpace

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
    """SENSE: the image x minimising ``sum_c ||M F S_c x - y_c||^2``, by conjugate gradients
    (:meth:`~invgen_mri.kspace.KSpace.least_squares`), clipped to [-1, 1]."""
    model = _kspace(chain)
    assert model is not None, "sense applies only to a k-space chain"
    return model.least_squares(observation).clamp(-1, 1)
