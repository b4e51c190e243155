"""Named components (generators, forward models, losses, priors), presets and weight files.

Plugins fill a :class:`Registry` through their ``register_*`` hooks; the registry turns a
spec string into a built component (:meth:`Registry.build`) and a component back into its
spec (:func:`spec_of`). Nothing here imports torch: factories may be lazy ``"module:attr"``
strings that are imported only when a component is built.
"""

from __future__ import annotations

import difflib
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from invgen.params import Param, canonical_values, resolve
from invgen.spec import SpecError, format_spec, parse_spec

KIND_TITLES = {
    "generator": "generator",
    "forward": "forward model",
    "loss": "loss",
    "prior": "prior",
}
WEIGHT = Param("weight", "float", 1.0, "multiplies this term in the objective", min=0.0)


@dataclass(frozen=True)
class ComponentInfo:
    """A registered component: where to build it from and which parameters it takes."""

    kind: str
    name: str
    factory: str | Callable[..., Any]
    params: tuple[Param, ...] = ()
    summary: str = ""
    plugin: str = ""

    def load_factory(self) -> Callable[..., Any]:
        """Import a lazy ``"module:attr"`` factory, or return the callable itself."""
        if callable(self.factory):
            return self.factory
        module_name, _, attr = self.factory.partition(":")
        try:
            target: Any = importlib.import_module(module_name)
            for part in attr.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as error:
            raise SpecError(
                f"{KIND_TITLES[self.kind]} {self.name!r} from plugin {self.plugin!r} cannot be loaded "
                f"({self.factory}: {error}); reinstall or disable that plugin"
            ) from None
        return target

    def title(self) -> str:
        return f"{KIND_TITLES[self.kind]} {self.name!r}"


@dataclass(frozen=True)
class Preset:
    """A named objective: default loss and prior specs, and whether one w is shared by all layers."""

    name: str
    losses: tuple[str, ...]
    priors: tuple[str, ...]
    summary: str = ""
    tie_layers: bool = False
    plugin: str = ""


@dataclass(frozen=True)
class WeightsInfo:
    """A named weight file a plugin knows how to obtain and check."""

    name: str
    filename: str
    url: str | None = None
    sha256: str | None = None
    licence: str = ""
    summary: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class DatasetInfo:
    """A named image set: ``factory()`` returns clean images ``[N, C, H, W]`` in [-1, 1]."""

    name: str
    factory: str | Callable[..., Any]
    summary: str = ""
    plugin: str = ""

    def load(self) -> Any:
        info = ComponentInfo("generator", self.name, self.factory, plugin=self.plugin)
        return info.load_factory()()


@dataclass
class Registry:
    """Every component, preset and weight file registered by the loaded plugins."""

    components: dict[str, dict[str, ComponentInfo]] = field(
        default_factory=lambda: {kind: {} for kind in KIND_TITLES}
    )
    presets: dict[str, Preset] = field(default_factory=dict)
    weights: dict[str, WeightsInfo] = field(default_factory=dict)
    datasets: dict[str, "DatasetInfo"] = field(default_factory=dict)

    def add_component(
        self,
        kind: str,
        name: str,
        factory: str | Callable[..., Any],
        params: tuple[Param, ...] | list[Param] = (),
        summary: str = "",
        plugin: str = "",
    ) -> None:
        """Record one component; a second registration of the same name is an error."""
        params = tuple(params)
        if kind in ("loss", "prior") and "weight" not in {p.name for p in params}:
            params += (WEIGHT,)
        existing = self.components[kind].get(name)
        if existing is not None:
            raise ValueError(
                f"{KIND_TITLES[kind]} {name!r} is registered twice (plugins {existing.plugin!r} and {plugin!r})"
            )
        self.components[kind][name] = ComponentInfo(kind, name, factory, params, summary, plugin)

    def info(self, kind: str, name: str) -> ComponentInfo:
        """The registered component ``name``, or a one-line error listing the closest names."""
        known = self.components[kind]
        if name in known:
            return known[name]
        title = KIND_TITLES[kind]
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        listing = f"see `invgen list {_list_word(kind)}`" if known else "no installed plugin registers any"
        raise SpecError(f"unknown {title} {name!r}: {hint}({listing})")

    def parse(self, kind: str, spec: str) -> tuple[ComponentInfo, dict[str, Any]]:
        """Check a spec fully (name, keys, values) without building anything."""
        parsed = parse_spec(spec)
        info = self.info(kind, parsed.name)
        return info, resolve(info.params, parsed.values, parsed.name)

    def build(self, kind: str, spec: str | Any) -> Any:
        """Build a component from a spec string; objects that are already built pass through."""
        if not isinstance(spec, str):
            return spec
        info, values = self.parse(kind, spec)
        return instantiate(info, values)

    def add_preset(self, name: str, losses: list[str] | tuple[str, ...], priors: list[str] | tuple[str, ...] = (),
                   summary: str = "", tie_layers: bool = False, plugin: str = "") -> None:
        if name in self.presets:
            raise ValueError(f"preset {name!r} is registered twice (plugins {self.presets[name].plugin!r} and {plugin!r})")
        self.presets[name] = Preset(name, tuple(losses), tuple(priors), summary, tie_layers, plugin)

    def preset(self, name: str) -> Preset:
        if name in self.presets:
            return self.presets[name]
        known = ", ".join(sorted(self.presets)) or "none (install invgen-losses)"
        raise SpecError(f"unknown preset {name!r} (known presets: {known})")

    def add_weights(self, name: str, filename: str, url: str | None = None, sha256: str | None = None,
                    licence: str = "", summary: str = "", plugin: str = "") -> None:
        if name in self.weights:
            raise ValueError(f"weights {name!r} are registered twice (plugins {self.weights[name].plugin!r} and {plugin!r})")
        self.weights[name] = WeightsInfo(name, filename, url, sha256, licence, summary, plugin)


    def add_dataset(self, name: str, factory: str | Callable[..., Any], summary: str = "", plugin: str = "") -> None:
        if name in self.datasets:
            raise ValueError(f"dataset {name!r} is registered twice (plugins {self.datasets[name].plugin!r} and {plugin!r})")
        self.datasets[name] = DatasetInfo(name, factory, summary, plugin)


def instantiate(info: ComponentInfo, values: dict[str, Any]) -> Any:
    """Call the factory with the checked values and remember the spec on the result."""
    factory = info.load_factory()
    kwargs = {k: v for k, v in values.items() if not (k == "weight" and info.kind in ("loss", "prior"))}
    try:
        component = factory(**kwargs)
    except SpecError:
        raise
    except (ValueError, TypeError) as error:
        raise SpecError(f"{info.name}: {error}") from None
    if info.kind in ("loss", "prior"):
        component.weight = float(values.get("weight", 1.0))
    component.spec_info = info
    component.spec_values = dict(values)
    return component


def spec_of(component: Any) -> str:
    """The canonical spec string of a component built by the registry (defaults left out)."""
    info: ComponentInfo | None = getattr(component, "spec_info", None)
    if info is None:
        return type(component).__name__
    values = dict(component.spec_values)
    if info.kind in ("loss", "prior"):
        values["weight"] = getattr(component, "weight", 1.0)
    return format_spec(info.name, canonical_values(info.params, values))


def _list_word(kind: str) -> str:
    return {"generator": "generators", "forward": "forward", "loss": "losses", "prior": "priors"}[kind]
