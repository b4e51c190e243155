"""The zero-filled reconstruction: the inverse FFT of the acquired k-space with the rest set to 0."""

from __future__ import annotations

from torch import Tensor

from invgen_mri.kspace import KSpace


def _kspace(chain: object) -> KSpace | None:
    parts = list(getattr(chain, "parts", [chain]))
    return parts[-1] if len(parts) == 1 and isinstance(parts[-1], KSpace) else None


def applies(chain: object, shape: tuple[int, ...]) -> bool:
    """A chain that is one k-space sampling of the image."""
    return _kspace(chain) is not None


def zero_filled(observation: Tensor, chain: object, shape: tuple[int, ...]) -> Tensor:
    """``Re(F^H y)`` clipped to [-1, 1]: the classical answer every MRI method is compared with."""
    model = _kspace(chain)
    assert model is not None, "zero-filled applies only to a k-space chain"
    return model.adjoint(observation).clamp(-1, 1)
