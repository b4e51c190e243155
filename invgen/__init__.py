"""invgen: Bayesian image reconstruction with pre-trained generative models.

The public API is re-exported here lazily, so ``import invgen`` (and the CLI's ``--help``)
does not import torch::

    invgen.reconstruct(observed, generator=..., forward=..., preset="brgm")
    invgen.generator("toy:size=32"), invgen.forward_model("blur:sigma=2"),
    invgen.loss("pixel"), invgen.prior("colinear")
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "reconstruct": ("invgen.api", "reconstruct"),
    "Reconstruction": ("invgen.api", "Reconstruction"),
    "sample_posterior": ("invgen.api", "sample_posterior"),
    "Posterior": ("invgen.api", "Posterior"),
    "VISettings": ("invgen.solvers.vi", "VISettings"),
    "generator": ("invgen.api", "build_generator"),
    "forward_model": ("invgen.api", "build_forward"),
    "loss": ("invgen.api", "build_loss"),
    "prior": ("invgen.api", "build_prior"),
    "Chain": ("invgen.forward", "Chain"),
    "Generator": ("invgen.interfaces", "Generator"),
    "ForwardModel": ("invgen.interfaces", "ForwardModel"),
    "Loss": ("invgen.interfaces", "Loss"),
    "Prior": ("invgen.interfaces", "Prior"),
    "LatentStats": ("invgen.interfaces", "LatentStats"),
    "Param": ("invgen.params", "Param"),
    "SpecError": ("invgen.spec", "SpecError"),
    "hookimpl": ("invgen.hookspecs", "hookimpl"),
    "MAPSettings": ("invgen.solvers.map", "MAPSettings"),
}
__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'invgen' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    value = getattr(import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
