"""Where a run computes: ``--device`` resolved to a torch device, with TF32 off unless asked for."""

from __future__ import annotations

import torch

from invgen.errors import UsageError


def resolve_device(device: str | torch.device, tf32: bool = False) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is a one-line error.

    TF32 (CUDA's reduced-precision float32 matrix units) is switched off unless ``tf32``: the
    exactness of fp32 results is assumed throughout (PyTorch leaves it on for convolutions).
    """
    if str(device) == "auto":
        chosen = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        try:
            chosen = torch.device(device)
        except RuntimeError:
            raise UsageError(f"unknown device {str(device)!r}: use auto, cpu, cuda or cuda:N") from None
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise UsageError("device 'cuda' requested but no CUDA GPU is available: use --device cpu or auto")
        if chosen.type not in ("cpu", "cuda"):
            raise UsageError(f"device {str(device)!r} is not supported: use auto, cpu, cuda or cuda:N")
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    return chosen
