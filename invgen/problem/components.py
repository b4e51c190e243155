"""Components from specs: ``invgen.generator("toy:size=32")``, ``invgen.forward_model(["blur:sigma=2"])`` ...,
and the registered metrics.

Objects that are already built pass through unchanged, so every API takes a spec or an object.
"""

from __future__ import annotations

from typing import Sequence

from invgen.errors import UserError
from invgen.problem.chain import chain
from invgen.problem.interfaces import ForwardModel, Generator, Loss, Prior
from invgen.problem.metrics import CORE_COLUMNS, Column, MetricFunction
from invgen.registry.manager import registry

ForwardSpec = str | ForwardModel | Sequence[str | ForwardModel]


def build_generator(spec: str | Generator) -> Generator:
    """A generator from a spec such as ``"toy:size=32"`` (objects pass through), in eval mode."""
    built = registry().build("generator", spec)
    return built.eval().requires_grad_(False)


def build_forward(spec: ForwardSpec) -> ForwardModel:
    """A forward model from a spec; a list of specs gives a :class:`~invgen.problem.chain.Chain`."""
    if isinstance(spec, (list, tuple)):
        return chain([build_forward(part) for part in spec])
    return registry().build("forward", spec)


def build_loss(spec: str | Loss) -> Loss:
    """A data term from a spec such as ``"pixel:sigma=0.05"`` (objects pass through)."""
    return registry().build("loss", spec)


def build_prior(spec: str | Prior) -> Prior:
    """A prior term from a spec such as ``"colinear:weight=0.05"`` (objects pass through)."""
    return registry().build("prior", spec)


def check_specs(kind: str, specs: Sequence[object]) -> None:
    """Parse every spec string of ``kind`` (name, keys, values) without building anything heavy."""
    for spec in specs:
        if isinstance(spec, str):
            registry().parse(kind, spec)


def build_metrics() -> dict[str, MetricFunction]:
    """The registered metrics that can be had here; one that cannot (e.g. without local weights) is left out."""
    built = {}
    for name, info in registry().metrics.items():
        try:
            built[name] = info.build()
        except UserError:
            continue
    return built


def metric_columns() -> tuple[Column, ...]:
    """Table columns: the registered metrics in registration order, then RMSE, PSNR and SSIM."""
    registered = tuple(Column(m.name, m.title, m.digits, m.higher_is_better) for m in registry().metrics.values())
    return registered + CORE_COLUMNS
