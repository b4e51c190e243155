"""Everything plugins register: components (generators, forward models, losses, priors), presets,
weight files, data sets, and the tasks, methods, ablations, baselines and metrics of evaluations.

Plugins fill a :class:`Registry` through their ``register_*`` hooks; the registry turns a
spec string into a built component (:meth:`Registry.build`) that carries a
:class:`~invgen.registry.params.SpecRecord` of how it was built. Nothing here imports torch: factories
may be lazy ``"module:attr"`` strings that are imported only when a component is built.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from invgen.errors import SpecError, UserError
from invgen.registry.params import Param, SpecRecord, resolve
from invgen.registry.preset_files import is_preset_file, load_preset_file
from invgen.registry.records import Ablation, Baseline, Factory, Method, Metric, Preset, Task, load_attr
from invgen.registry.spec import parse_spec

KIND_TITLES = {
    "generator": "generator",
    "forward": "forward model",
    "loss": "loss",
    "prior": "prior",
}
METHOD_KINDS = ("map", "vi")
WEIGHT = Param("weight", "float", 1.0, "multiplies this term in the objective", min=0.0)


MASK_FILE = "mask-file"
ROLES = {
    MASK_FILE: "a forward model that hides the black pixels of a mask file: NAME:path=FILE,resize=true "
               "(white = known; resize=true scales a mask of another size, nearest neighbour)",
}


@dataclass(frozen=True)
class ComponentInfo:
    """A registered component: where to build it from and which parameters it takes."""

    kind: str
    name: str
    factory: str | Callable[..., Any]
    params: tuple[Param, ...] = ()
    summary: str = ""
    plugin: str = ""
    roles: tuple[str, ...] = ()
    presets: tuple[tuple[str, str], ...] = ()  # generators: (method, preset) defaults, e.g. (("map", "pixel"),)

    def load_factory(self) -> Callable[..., Any]:
        """Import a lazy ``"module:attr"`` factory, or return the callable itself."""
        return load_attr(self.factory, KIND_TITLES[self.kind] + f" {self.name!r}", self.plugin)

    def title(self) -> str:
        return f"{KIND_TITLES[self.kind]} {self.name!r}"


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
    check: Factory | None = None  # callable(path) that raises a UserError unless the file is these weights

    def check_file(self, path: Any) -> None:
        """Run the plugin's check of a file offered as these weights (nothing when it registered none)."""
        if self.check is not None:
            load_attr(self.check, f"weights {self.name!r} check", self.plugin)(path)


@dataclass(frozen=True)
class DatasetInfo:
    """A named image set: ``factory()`` returns clean images ``[N, C, H, W]`` in [-1, 1]."""

    name: str
    factory: str | Callable[..., Any]
    summary: str = ""
    plugin: str = ""

    def load(self) -> Any:
        return load_attr(self.factory, f"dataset {self.name!r}", self.plugin)()


@dataclass(frozen=True)
class ExampleInfo:
    """An example image file for the generator named ``generator`` (its component name, no parameters)."""

    name: str
    path: Path
    generator: str
    summary: str = ""
    plugin: str = ""


@dataclass(frozen=True)
class BenchmarkInfo:
    """A generator spec that ``invgen bench`` measures by default."""

    name: str  # the spec
    summary: str = ""
    plugin: str = ""


@dataclass
class Registry:
    """Everything the loaded plugins registered: components, presets, weight files, data sets, example
    images, benchmark generators, and the tasks, methods, ablations, baselines and metrics of evaluations."""

    components: dict[str, dict[str, ComponentInfo]] = field(
        default_factory=lambda: {kind: {} for kind in KIND_TITLES}
    )
    presets: dict[str, Preset] = field(default_factory=dict)
    weights: dict[str, WeightsInfo] = field(default_factory=dict)
    datasets: dict[str, DatasetInfo] = field(default_factory=dict)
    examples: dict[str, ExampleInfo] = field(default_factory=dict)
    benchmarks: dict[str, BenchmarkInfo] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)
    methods: dict[str, Method] = field(default_factory=dict)
    ablations: dict[str, Ablation] = field(default_factory=dict)
    baselines: dict[str, Baseline] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)

    def add_component(
        self,
        kind: str,
        name: str,
        factory: Factory,
        params: tuple[Param, ...] | list[Param] = (),
        summary: str = "",
        plugin: str = "",
        roles: tuple[str, ...] | list[str] = (),
        presets: dict[str, str] | None = None,
    ) -> None:
        """Record one component; a second registration of the same name is an error. ``roles`` (see
        :data:`ROLES`) tell tools such as ``invgen serve`` what a component can be used for; a generator's
        ``presets`` ({"map": NAME, "vi": NAME}) are its default objectives when a run names none."""
        params = tuple(params)
        title = f"{KIND_TITLES[kind]} {name!r}"
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"{title}: unknown roles {sorted(unknown)} (known: {sorted(ROLES)})")
        if presets and (kind != "generator" or set(presets) - set(METHOD_KINDS)):
            raise ValueError(f"{title}: presets= is for generators, keyed by {' or '.join(METHOD_KINDS)}")
        if kind in ("loss", "prior") and "weight" not in {p.name for p in params}:
            params += (WEIGHT,)
        _add(self.components[kind], KIND_TITLES[kind],
             ComponentInfo(kind, name, factory, params, summary, plugin, tuple(roles), tuple((presets or {}).items())))

    def with_role(self, kind: str, role: str) -> ComponentInfo | None:
        """The first registered component of ``kind`` that declares ``role``, if any."""
        return next((info for info in self.components[kind].values() if role in info.roles), None)

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
                   summary: str = "", tie_layers: bool = False, plugin: str = "",
                   default_for: tuple[str, ...] | list[str] = ()) -> None:
        unknown = set(default_for) - set(METHOD_KINDS)
        if unknown:
            raise ValueError(f"preset {name!r}: default_for takes {' and '.join(METHOD_KINDS)}, not {sorted(unknown)}")
        _add(self.presets, "preset", Preset(name, tuple(losses), tuple(priors), summary, tie_layers, plugin,
                                            tuple(default_for)))

    def preset(self, name: str) -> Preset:
        """A registered preset, or a preset file (``*.json``, :mod:`invgen.registry.preset_files`)."""
        if name in self.presets:
            return self.presets[name]
        if is_preset_file(name):
            return load_preset_file(name)
        known = ", ".join(sorted(self.presets)) or "none (install invgen-losses)"
        raise SpecError(f"unknown preset {name!r} (known presets: {known})")

    def generator_preset(self, generator: str, method: str) -> str | None:
        """The installed preset that ``generator`` (a spec) declares its default for ``method``, if any."""
        info = self.components["generator"].get(generator.split(":", 1)[0])
        chosen = dict(info.presets).get(method) if info is not None else None
        return chosen if chosen in self.presets else None

    def default_preset(self, method: str) -> str | None:
        """The first registered preset that declares itself the default for ``method`` (map or vi)."""
        return next((name for name, preset in self.presets.items() if method in preset.default_for), None)

    def add_weights(self, name: str, filename: str, url: str | None = None, sha256: str | None = None,
                    licence: str = "", summary: str = "", plugin: str = "", check: Factory | None = None) -> None:
        _add(self.weights, "weights", WeightsInfo(name, filename, url, sha256, licence, summary, plugin, check))

    def add_dataset(self, name: str, factory: Factory, summary: str = "", plugin: str = "") -> None:
        _add(self.datasets, "dataset", DatasetInfo(name, factory, summary, plugin))

    def add_example(self, name: str, path: str | Path, generator: str, summary: str = "", plugin: str = "") -> None:
        _add(self.examples, "example", ExampleInfo(name, Path(path), generator, summary, plugin))

    def add_benchmark(self, spec: str, summary: str = "", plugin: str = "") -> None:
        _add(self.benchmarks, "benchmark", BenchmarkInfo(spec, summary, plugin))

    def examples_for(self, generator: str) -> list[ExampleInfo]:
        """The examples registered for ``generator`` (a spec: its parameters are ignored), by name."""
        name = generator.split(":", 1)[0]
        return sorted((example for example in self.examples.values() if example.generator == name),
                      key=lambda example: example.name)

    def add_task(self, name: str, specs: tuple[str, ...] | list[str], summary: str = "", variants: int = 0,
                 plugin: str = "") -> None:
        _add(self.tasks, "task", Task(name, tuple(specs), summary, variants, plugin))

    def add_method(self, name: str, summary: str = "", plugin: str = "", **objective: Any) -> None:
        _add(self.methods, "method", Method.of(name, summary, plugin=plugin, **objective))

    def add_ablation(self, name: str, steps: list[dict[str, Any]] | tuple[dict[str, Any], ...], summary: str = "",
                     plugin: str = "") -> None:
        ladder = tuple(Method.of(**{"summary": step["name"], **step}, plugin=plugin) for step in steps)
        _add(self.ablations, "ablation", Ablation(name, ladder, summary, plugin))

    def add_baseline(self, name: str, restore: Factory, applies: Factory, summary: str = "", plugin: str = "") -> None:
        _add(self.baselines, "baseline", Baseline(name, restore, applies, summary, plugin))

    def add_metric(self, name: str, factory: Factory, title: str, digits: int = 3, higher_is_better: bool = False,
                   summary: str = "", plugin: str = "") -> None:
        _add(self.metrics, "metric", Metric(name, factory, title, digits, higher_is_better, summary, plugin))


class DuplicateRegistration(ValueError):
    """A name registered a second time (the first registration is kept)."""


def _add(table: dict[str, Any], title: str, record: Any) -> None:
    """Put ``record`` in ``table`` under its name; a second registration of a name is an error."""
    existing = table.get(record.name)
    if existing is not None:
        raise DuplicateRegistration(f"{title} {record.name!r} is registered twice (plugins {existing.plugin!r} and "
                         f"{record.plugin!r})")
    table[record.name] = record


def instantiate(info: ComponentInfo, values: dict[str, Any]) -> Any:
    """Call the factory with the checked values and attach the record of how it was built."""
    factory = info.load_factory()
    kwargs = {k: v for k, v in values.items() if not (k == "weight" and info.kind in ("loss", "prior"))}
    try:
        component = factory(**kwargs)
    except UserError:  # a component's own one-line error (a bad file is an input error, exit 1)
        raise
    except (ValueError, TypeError) as error:
        raise SpecError(f"{info.name}: {error}") from None
    if info.kind in ("loss", "prior"):
        component.weight = float(values.get("weight", 1.0))
    component.spec_record = SpecRecord.of(info.kind, info.name, info.params, values)
    return component


def _list_word(kind: str) -> str:
    return {"generator": "generators", "forward": "forward", "loss": "losses", "prior": "priors"}[kind]
