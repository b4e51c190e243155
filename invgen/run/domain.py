"""Does the input look like what the generator makes? Its fit to the observation, against the generator's own.

A generator explains images of its domain: a digit model fits a digit's observation to some tens of dB,
and a face given to it far worse, silently. The reference is measured, not assumed: :data:`SAMPLES` images
the generator makes (seeded) are corrupted by the run's forward chain and reconstructed with the run's MAP
settings, and the fit of f(reconstruction) to their observations recorded. It is computed once per
generator, chain, objective and settings and kept under ``$INVGEN_HOME/domain``. A run whose fit is more
than :data:`MARGIN_DB` below the worst reference fit is reported as looking out of the generator's domain.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import replace
from typing import Any, Sequence

import torch

from invgen.io.atomic import write_atomic
from invgen.io.home import domain_dir
from invgen.problem.build import Setup
from invgen.problem.chain import Chain
from invgen.problem.metrics import fit_db
from invgen.problem.observation import observe
from invgen.solvers.map import MAPSettings
from invgen.solvers.solving import solve

SAMPLES = 4
MARGIN_DB = 6.0  # 4x the worst in-domain squared error
SEED = 7


def reference_key(generator: str, forward: Sequence[str], objective: dict[str, Any], settings: MAPSettings) -> str:
    text = json.dumps([generator, list(forward), objective, settings.__dict__], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reference_fits(setup: Setup, forward: Sequence[str], model: Chain, settings: MAPSettings,
                   objective: dict[str, Any]) -> list[float] | None:
    """The fits (dB) the generator reaches on :data:`SAMPLES` of its own images under ``forward`` (the specs
    of ``model``, the run's built chain, which is reused: no chain is built here), cached; None if a Ctrl-C cut
    the measurement short (nothing is cached then)."""
    settings = replace(settings, starts=1)
    path = domain_dir() / f"{reference_key(setup.generator.spec, forward, objective, settings)}.json"
    try:
        return [float(v) for v in json.loads(path.read_text())["fit_db"]]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # absent or damaged: measure it
    generator = setup.generator
    z = torch.randn(SAMPLES, generator.z_dim, generator=torch.Generator().manual_seed(SEED)).to(setup.device)
    with torch.no_grad():
        clean = generator.synthesize(generator.map(z)).clamp(-1, 1).cpu()
    problem = setup.problem(observe(clean, generator, model, simulate=True, seed=SEED), model)
    result = solve(problem, settings)
    if result.interrupted:
        return None
    fits = fit_db(result.prediction, result.observation, result.mask)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (json.dumps({"generator": generator.spec, "forward": list(forward), "objective": objective,
                                    "settings": settings.__dict__, "fit_db": fits}, default=str) + "\n").encode())
    return fits


def domain_report(fit: float, references: Sequence[float]) -> dict[str, Any]:
    """``run.json``'s ``domain``: this run's fit against the generator's on its own images, and the verdict."""
    finite = [value for value in references if math.isfinite(value)]
    if not finite:  # the generator's own images are fitted exactly: compare with a large finite stand-in
        finite = [200.0]
    worst = min(finite)
    value = fit if math.isfinite(fit) else 200.0
    return {"fit_db": round(value, 3), "in_domain_db": [round(v, 3) for v in sorted(finite)],
            "gap_db": round(worst - value, 3), "out_of_domain": value < worst - MARGIN_DB}


def warning_text(report: dict[str, Any]) -> str:
    ratio = 10 ** (report["gap_db"] / 10)
    return (f"the input looks out of the generator's domain: f(reconstruction) fits the observation at "
            f"{report['fit_db']:.1f} dB, {ratio:.0f}x the squared error of the worst of the generator's own "
            f"images ({min(report['in_domain_db']):.1f} dB); the reconstruction is likely the nearest image the "
            "generator can make, not the truth")
