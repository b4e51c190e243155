"""The registry table's entries that are not components: presets (the objective's terms by name), and what
plugins register for evaluations and comparisons: tasks, methods, ablations, baselines, metrics.

Frozen, torch-free records; the :class:`~invgen.registry.table.Registry` holds them by name. Factories
are callables or lazy ``"module:attr"`` strings, imported only when used.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from invgen.errors import SpecError

Factory = str | Callable[..., Any]


def load_attr(factory: Factory, what: str, plugin: str) -> Callable[..., Any]:
    """Import a lazy ``"module:attr"`` factory, or return the callable itself."""
    if callable(factory):
        return factory
    module_name, _, attr = factory.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise SpecError(f"{what} from plugin {plugin!r} cannot be loaded ({factory}: {error}); "
                        "reinstall or disable that plugin") from None
    return target


@dataclass(frozen=True)
class Task:
    """A named corruption for evaluations: the forward specs applied to every image.

    With ``variants`` > 0, ``{seed}`` in the specs becomes ``i % variants`` for image ``i`` (e.g. ten
    different random masks over a set), and images sharing a variant are solved together.
    """

    name: str
    specs: tuple[str, ...]
    summary: str = ""
    variants: int = 0
    plugin: str = ""

    def chain_for(self, index: int) -> list[str]:
        if not self.variants:
            return list(self.specs)
        return [spec.replace("{seed}", str(index % self.variants)) for spec in self.specs]

    def group_of(self, index: int) -> int:
        return index % self.variants if self.variants else 0


@dataclass(frozen=True)
class Preset:
    """A named objective: default loss and prior specs, and whether one w is shared by all layers."""

    name: str
    losses: tuple[str, ...]
    priors: tuple[str, ...]
    summary: str = ""
    tie_layers: bool = False
    plugin: str = ""
    default_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class Method:
    """A reconstruction method that uses the generator: a preset or explicit terms, W or W+, MAP or VI.

    ``generator_params`` override parameters of the generator's spec when it has them (e.g. a
    StyleGAN2's noise inputs); generators without such a parameter are used as they are.
    """

    name: str
    summary: str = ""
    preset: str | None = None
    losses: tuple[str, ...] = ()
    priors: tuple[str, ...] = ()
    tie_layers: bool = False
    generator_params: tuple[tuple[str, str], ...] = ()
    vi: bool = False
    plugin: str = ""

    @classmethod
    def of(cls, name: str, summary: str = "", preset: str | None = None, losses: tuple[str, ...] | list[str] = (),
           priors: tuple[str, ...] | list[str] = (), tie_layers: bool = False,
           generator_params: Mapping[str, str] | None = None, vi: bool = False, plugin: str = "") -> "Method":
        return cls(name, summary, preset, tuple(losses), tuple(priors), tie_layers,
                   tuple((generator_params or {}).items()), vi, plugin)


@dataclass(frozen=True)
class Ablation:
    """A ladder of methods, each changing one thing from the step before (``invgen eval --ablation``)."""

    name: str
    steps: tuple[Method, ...]
    summary: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class Baseline:
    """A classical reconstruction that needs no generator.

    ``restore(observation [B, C', H', W'], chain, image_shape) -> [B, C, H, W]`` in [-1, 1] on the CPU;
    ``applies(chain, image_shape) -> bool`` says whether it fits a forward chain.
    """

    name: str
    restore: Factory
    applies: Factory
    summary: str = ""
    plugin: str = ""

    def load(self) -> tuple[Callable[..., Any], Callable[..., bool]]:
        what = f"baseline {self.name!r}"
        return load_attr(self.restore, what, self.plugin), load_attr(self.applies, what, self.plugin)


@dataclass(frozen=True)
class Metric:
    """An image-quality metric: ``factory()`` returns ``metric(x, y) -> [B]`` for images in [-1, 1]
    (or raises a :class:`~invgen.errors.UserError` when it cannot be had, e.g. missing weights)."""

    name: str
    factory: Factory
    title: str
    digits: int = 3
    higher_is_better: bool = False
    summary: str = ""
    plugin: str = ""

    def build(self) -> Callable[..., Any]:
        return load_attr(self.factory, f"metric {self.name!r}", self.plugin)()
