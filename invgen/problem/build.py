"""A reconstruction problem, built and checked once: generator, forward chain, terms and observation.

:func:`build_problem` turns specs, files and tensors into a :class:`Problem` (through
:mod:`invgen.problem.observation`, the one path from an input to a checked observation);
:func:`invgen.solvers.solving.solve` is the only place that solves one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import Tensor

from invgen.problem.arguments import problem_arguments
from invgen.problem.chain import Chain
from invgen.problem.components import ForwardSpec, build_generator, build_loss, build_prior
from invgen.problem.interfaces import Generator, Loss, Prior
from invgen.problem.objective import Objective
from invgen.problem.observation import Observation, build_chain, check_forward, observe
from invgen.problem.terms import Terms, check_terms, preset_for
from invgen.registry.manager import manager
from invgen.runtime.device import resolve_device


@dataclass
class Problem:
    """Everything a solver needs: built components and the observation on one device, the terms used,
    and the clean images when they are known (simulated observations, evaluations)."""

    generator: Generator
    forward: Chain
    losses: list[Loss]
    priors: list[Prior]
    observation: Tensor
    terms: Terms
    device: torch.device
    ground_truth: Tensor | None = None
    known: Tensor | None = None  # [B, 1, H', W']: observed pixels of each observation's own (1), padding (0)

    def objective(self) -> Objective:
        return Objective(self.generator, self.forward, self.losses, self.priors, self.observation, self.known)

    def config(self, solver: dict[str, Any]) -> dict[str, Any]:
        """Everything needed to repeat a run: specs, solver settings, device and versions."""
        return {
            "generator": self.generator.spec,
            "forward": [part.spec for part in self.forward.parts],
            "losses": [term.spec for term in self.losses],
            "priors": [term.spec for term in self.priors],
            "preset": self.terms.preset,
            "solver": solver,
            "device": str(self.device),
            "versions": {"torch": torch.__version__, **manager().versions},
        }


@dataclass
class Setup:
    """A generator and the objective's terms, checked, built and put on one device once: the part of a
    problem that many observations share (a folder of inputs, an evaluation's batches)."""

    generator: Generator
    losses: list[Loss]
    priors: list[Prior]
    terms: Terms
    device: torch.device

    def problem(self, observation: Observation, forward: Chain) -> Problem:
        """The problem of a checked observation (or a batch; from :func:`~invgen.problem.observation.observe`)
        through the built chain it was checked with, on the device. Nothing is parsed, built or checked again."""
        values, truth = observation.values, observation.ground_truth
        known = None if observation.known is None else observation.known.to(self.device)
        return Problem(self.generator, forward.to(self.device), self.losses, self.priors, values.to(self.device),
                       self.terms, self.device, truth, known)

    def pose(self, observed: Tensor | str | Path, forward: ForwardSpec | Chain = "identity",
             ground_truth: Tensor | None = None, simulate: bool = False, seed: int = 0) -> Problem:
        """The problem of one observation (or a batch) from specs or tensors: the chain built (unless it is one
        already) and checked against the generator, the observation read or simulated and checked
        (:func:`~invgen.problem.observation.observe`), then :meth:`problem`."""
        model = build_chain(forward)
        check_forward(model, self.generator)
        return self.problem(observe(observed, self.generator, model, simulate, seed, ground_truth), model)


def build_setup(
    generator: str | Generator,
    losses: Sequence[str | Loss] | None = None,
    priors: Sequence[str | Prior] | None = None,
    preset: str | None = None,
    device: str | torch.device = "cpu",
    method: str = "map",
) -> Setup:
    """Check every spec first (nothing heavy is built for a typo), then build the generator and the terms
    on ``device``. ``method`` (map or vi) chooses the default preset when no terms are given."""
    terms = check_terms(generator, losses, priors, preset, method)
    target = resolve_device(device)
    return Setup(build_generator(generator).to(target), [build_loss(t).to(target) for t in terms.losses],
                 [build_prior(t).to(target) for t in terms.priors], terms, target)


def build_problem(
    observed: Tensor | str | Path,
    generator: str | Generator,
    forward: ForwardSpec = "identity",
    losses: Sequence[str | Loss] | None = None,
    priors: Sequence[str | Prior] | None = None,
    preset: str | None = None,
    device: str | torch.device = "cpu",
    method: str = "map",
    ground_truth: Tensor | None = None,
    simulate: bool = False,
    seed: int = 0,
) -> Problem:
    """Check every spec, build every component, read or simulate the observation, check all shapes, and
    put it all on ``device``: the chain is built once (and asked for its default preset), then
    :func:`build_setup` and :meth:`Setup.pose`."""
    problem_arguments(generator, forward, losses, priors, preset, device)
    model = build_chain(forward)
    preset = preset_for(model, preset, losses, priors, method, generator)
    setup = build_setup(generator, losses, priors, preset, device, method)
    return setup.pose(observed, model, ground_truth, simulate, seed)
