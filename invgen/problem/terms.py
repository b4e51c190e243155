"""The objective's terms: a preset merged with explicit losses and priors, the preset a chain or generator asks
for, and the identity of an objective (what decides its results, whatever it is called)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from invgen.errors import SpecError
from invgen.problem.components import check_specs
from invgen.problem.interfaces import ForwardModel, Generator, Loss, Prior
from invgen.registry.manager import registry
from invgen.registry.spec import parse_spec


@dataclass(frozen=True)
class Terms:
    """The objective's terms: loss and prior specs (or objects), W or W+, and the preset they came from."""

    losses: tuple[str | Loss, ...] = ()
    priors: tuple[str | Prior, ...] = ()
    tie_layers: bool = False
    preset: str | None = None


def select_terms(
    preset: str | None, losses: Sequence[str | Loss] | None = None, priors: Sequence[str | Prior] | None = None,
    method: str = "map",
) -> Terms:
    """Merge a preset with explicit terms: an explicit term replaces the preset's term of the same name.

    Without a preset or terms, the preset a plugin declares the default for ``method`` (map or vi) is used.
    """
    losses, priors = list(losses or []), list(priors or [])
    if preset is None and not losses and not priors:
        preset = registry().default_preset(method)
        if preset is None:
            raise SpecError(f"no loss or prior given and no installed plugin provides a default {method} preset: "
                            "pass --loss/--prior or --preset")
    if preset is None:
        return Terms(tuple(losses), tuple(priors))
    chosen = registry().preset(preset)
    return Terms(tuple(_override(list(chosen.losses), losses)), tuple(_override(list(chosen.priors), priors)),
                 chosen.tie_layers, preset)


def _override(defaults: list[Any], explicit: list[Any]) -> list[Any]:
    names = {_term_name(term) for term in explicit}
    return [term for term in defaults if _term_name(term) not in names] + explicit


def _term_name(term: Any) -> str:
    return parse_spec(term).name if isinstance(term, str) else term.name


def preset_for(forward: ForwardModel, preset: str | None, losses: Sequence[object] | None,
               priors: Sequence[object] | None, method: str = "map",
               generator: str | Generator | None = None) -> str | None:
    """``preset`` as given, or, when no preset and no terms are given, the one the (built) forward chain asks for
    (:meth:`~invgen.problem.interfaces.ForwardModel.default_preset`), else the one the generator's registration
    declares (``presets=``); None: the registered default for ``method``."""
    if preset is not None or losses or priors:
        return preset
    asked = forward.default_preset(method)
    if asked is not None or generator is None:
        return asked
    name = generator if isinstance(generator, str) else getattr(getattr(generator, "spec_record", None), "name", None)
    return None if name is None else registry().generator_preset(name, method)


def check_terms(generator: str | Generator, losses: Sequence[str | Loss] | None = None,
                priors: Sequence[str | Prior] | None = None, preset: str | None = None, method: str = "map") -> Terms:
    """The objective's terms, with the generator's, losses' and priors' specs fully checked (nothing built)."""
    terms = select_terms(preset, losses, priors, method)
    check_specs("generator", [generator])
    check_specs("loss", terms.losses)
    check_specs("prior", terms.priors)
    return terms


def objective_identity(losses: Sequence[Any], priors: Sequence[Any], tie_layers: bool,
                       basis: str | None = None) -> dict[str, Any]:
    """What of an objective decides its result: its terms (after the preset), W or W+, and (VI) q's basis.
    Calibrations, the domain check's reference fits and the evaluation's saved parts are keyed by it."""
    identity = {"losses": sorted(map(str, losses)), "priors": sorted(map(str, priors)), "tie_layers": tie_layers}
    return identity if basis is None else {**identity, "basis": basis}
