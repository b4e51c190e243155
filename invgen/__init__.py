"""invgen: Bayesian image reconstruction with pre-trained generative models.

The public API is re-exported here lazily, so ``import invgen`` (and the CLI's ``--help``)
does not import torch::

    invgen.reconstruct(observed, generator=..., forward=..., preset="brgm")
    invgen.sample_posterior(observed, generator=..., forward=..., samples=8)
    problem = invgen.build_problem(observed, generator, forward); invgen.solve(problem, invgen.MAPSettings())
    invgen.load_result("out/digit"), invgen.render_results("out/digit", "out/again")
    invgen.generator("toy:size=32"), invgen.forward_model("blur:sigma=2"),
    invgen.loss("pixel"), invgen.prior("colinear")

Plugins use :mod:`invgen.plugin` instead: the documented plugin API.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "reconstruct": ("invgen.api", "reconstruct"),
    "sample_posterior": ("invgen.api", "sample_posterior"),
    "reconstruct_many": ("invgen.run.job", "reconstruct_many"),
    "RunOptions": ("invgen.run.options", "RunOptions"),
    "load_result": ("invgen.run.saved", "load_result"),
    "SavedResult": ("invgen.run.saved", "SavedResult"),
    "render_results": ("invgen.run.rerender", "render_results"),
    "solve": ("invgen.solvers.solving", "solve"),
    "build_problem": ("invgen.problem.build", "build_problem"),
    "select_terms": ("invgen.problem.terms", "select_terms"),
    "Problem": ("invgen.problem.build", "Problem"),
    "Terms": ("invgen.problem.terms", "Terms"),
    "Reconstruction": ("invgen.problem.results", "Reconstruction"),
    "Posterior": ("invgen.problem.results", "Posterior"),
    "MAPSettings": ("invgen.solvers.map", "MAPSettings"),
    "VISettings": ("invgen.solvers.vi", "VISettings"),
    "MCMCSettings": ("invgen.solvers.mcmc", "MCMCSettings"),
    "Progress": ("invgen.solvers.map", "Progress"),
    "generator": ("invgen.problem.components", "build_generator"),
    "forward_model": ("invgen.problem.components", "build_forward"),
    "loss": ("invgen.problem.components", "build_loss"),
    "prior": ("invgen.problem.components", "build_prior"),
    "Chain": ("invgen.problem.chain", "Chain"),
    "Generator": ("invgen.problem.interfaces", "Generator"),
    "ForwardModel": ("invgen.problem.interfaces", "ForwardModel"),
    "Loss": ("invgen.problem.interfaces", "Loss"),
    "Prior": ("invgen.problem.interfaces", "Prior"),
    "LatentStats": ("invgen.problem.interfaces", "LatentStats"),
    "Param": ("invgen.registry.params", "Param"),
    "UserError": ("invgen.errors", "UserError"),
    "SpecError": ("invgen.errors", "SpecError"),
    "InputError": ("invgen.errors", "InputError"),
    "hookimpl": ("invgen.registry.hookspecs", "hookimpl"),
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
