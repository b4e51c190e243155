"""Methods compared by ``invgen eval``: generator methods and ablation ladders from plugins, and what
decides a method's numbers whatever it is called (so that equal objectives share saved results)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from invgen.errors import SpecError
from invgen.registry.manager import registry
from invgen.registry.preset_files import is_preset_file
from invgen.problem.terms import objective_identity, select_terms
from invgen.registry.records import Ablation, Method


def method(name: str) -> Method:
    """A registered generator method, else MAP with a registered preset or a preset file (``*.json``); a
    one-line error lists methods and baselines otherwise."""
    found = registry()
    if name in found.methods:
        return found.methods[name]
    if name in found.presets:  # any preset: MAP with its terms
        return Method.of(name, f"MAP with the {name} preset", preset=name)
    if is_preset_file(name):  # a preset file (from `invgen tune`): MAP with its terms, named by the file
        found.preset(name)
        return Method.of(Path(name).stem, f"preset file {name}", preset=name)
    known = ", ".join([*found.methods, *found.baselines]) or "none registered"
    raise SpecError(f"unknown method {name!r} (choose from {known})")


def ablation(name: str | None) -> Ablation:
    """The ablation ladder ``name``, or the only one registered when ``name`` is None."""
    ladders = registry().ablations
    if name is None and len(ladders) == 1:
        return next(iter(ladders.values()))
    if name in ladders:
        return ladders[name]
    known = ", ".join(ladders) or "none registered"
    raise SpecError(f"choose an ablation ladder with --ladder (registered: {known})" if name is None
                    else f"unknown ablation ladder {name!r} (registered: {known})")


def varied_generator_params() -> list[str]:
    """The generator parameters that some registered method sets (e.g. a StyleGAN2's noise inputs)."""
    found = registry()
    methods = [*found.methods.values(), *(step for ladder in found.ablations.values() for step in ladder.steps)]
    return sorted({key for chosen in methods for key, _ in chosen.generator_params})


def generator_values(generator_spec: str, chosen: Method) -> dict[str, Any]:
    """The generator's parameter values under ``chosen``: its spec's, with the method's overrides where the
    generator has such a parameter."""
    info, values = registry().parse("generator", generator_spec)
    params = {param.name: param for param in info.params}
    overrides = {key: params[key].parse(value, info.name) for key, value in chosen.generator_params if key in params}
    return {**values, **overrides}


def method_identity(generator_spec: str, chosen: Method) -> dict[str, Any]:
    """What decides a generator method's numbers, whatever it is called: its objective's identity
    (:func:`~invgen.problem.terms.objective_identity`: terms after the preset, W or W+), MAP or VI, and the
    values of the generator parameters that methods vary. Methods equal here (``plain`` and the ablation's
    first step, ``brgm`` and its last) share saved results."""
    terms = select_terms(chosen.preset, chosen.losses, chosen.priors)
    values = generator_values(generator_spec, chosen)
    return {**objective_identity(terms.losses, terms.priors, chosen.tie_layers or terms.tie_layers), "vi": chosen.vi,
            **{key: values.get(key) for key in varied_generator_params()}}
