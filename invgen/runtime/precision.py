"""Reduced-precision evaluation: bfloat16 autocast for the expensive networks, float32 for the rest.

On CPUs with AVX-512 BF16 / AMX matrix units (and on GPUs) bfloat16 convolutions run several
times faster than float32. Only the generator, forward model and data terms run under
autocast; priors, the optimiser state and the reported images stay in float32.
"""

from __future__ import annotations

import contextlib
from typing import ContextManager

import torch

from invgen.errors import SpecError

PRECISIONS = ("fp32", "bf16")


def check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise SpecError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")


def autocast(precision: str, device: torch.device) -> ContextManager[object]:
    """A context in which ``bf16`` runs autocast to bfloat16 on ``device``; ``fp32`` changes nothing."""
    check_precision(precision)
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)
