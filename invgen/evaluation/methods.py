"""Reconstruction methods compared by ``invgen eval``: objectives for the generator, and the ablation ladder."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from invgen.spec import SpecError

PERCEPTUAL = "lpips:net=vgg,weight=1.2507"
PIXEL = "pixel:sigma=none,weight=16.256"
W_GAUSSIAN = "w-gaussian:scale=norm,reduce=mean,weight=100"
COLINEAR = "colinear:reduce=sum,weight=0.1"


@dataclass(frozen=True)
class GeneratorMethod:
    """An objective for the generator: a preset or explicit terms, W or W+, the noise inputs, MAP or VI."""

    name: str
    summary: str
    preset: str | None = None
    losses: tuple[str, ...] = ()
    priors: tuple[str, ...] = ()
    tie_layers: bool = False
    noise: str | None = None
    vi: bool = False


METHODS = {
    method.name: method
    for method in (
        GeneratorMethod("brgm", "BRGM MAP (preset brgm)", preset="brgm"),
        GeneratorMethod("brgm-vi", "VI posterior mean (preset bayes), MAP warm start", preset="bayes", vi=True),
        GeneratorMethod("pulse", "PULSE-like (preset pulse): one w, sphere penalty", preset="pulse", tie_layers=True),
        GeneratorMethod("pixel", "pixel loss only, W+ (preset pixel)", preset="pixel"),
        GeneratorMethod("plain", "plain inversion: one w, noise on, perceptual only", losses=(PERCEPTUAL,),
                        tie_layers=True, noise="const"),
    )
}


def ablation_ladder() -> list[GeneratorMethod]:
    """The seed paper's cumulative changes, from plain inversion to the full BRGM objective."""
    plain = METHODS["plain"]
    steps = [replace(plain, name="1 plain inversion")]
    steps.append(replace(steps[-1], name="2 noise removed", noise="none"))
    steps.append(replace(steps[-1], name="3 W+", tie_layers=False))
    steps.append(replace(steps[-1], name="4 + pixel loss", losses=(PERCEPTUAL, PIXEL)))
    steps.append(replace(steps[-1], name="5 + Gaussian prior", priors=(W_GAUSSIAN,)))
    steps.append(replace(steps[-1], name="6 + colinearity (BRGM)", priors=(W_GAUSSIAN, COLINEAR)))
    return [replace(step, summary=step.name) for step in steps]


def objective_identity(generator_spec: str, chosen: GeneratorMethod) -> dict[str, Any]:
    """What decides a generator method's numbers, whatever it is called: its terms after the preset is
    applied, W or W+, the noise inputs in effect, MAP or VI. Methods equal here (``plain`` and the
    ablation's first step, ``brgm`` and its last) share saved results."""
    from invgen.api import select_terms
    from invgen.plugins import registry

    losses, priors, tied, _ = select_terms(chosen.preset, chosen.losses, chosen.priors)
    _, values = registry().parse("generator", generator_spec)
    noise = chosen.noise if chosen.noise is not None and "noise" in values else values.get("noise")
    return {"losses": sorted(map(str, losses)), "priors": sorted(map(str, priors)),
            "tie_layers": chosen.tie_layers or tied, "noise": noise, "vi": chosen.vi}


def method(name: str) -> GeneratorMethod:
    if name not in METHODS:
        from invgen.evaluation.baselines import BASELINES

        if name in BASELINES:
            raise KeyError(name)
        known = ", ".join([*METHODS, *BASELINES])
        raise SpecError(f"unknown method {name!r} (choose from {known})")
    return METHODS[name]
