"""``solve``: the one place a solver runs, and what it refuses before running anything."""

from dataclasses import replace

import pytest
import torch

import invgen
from invgen.errors import SpecError, UsageError


def test_solve_refuses_what_it_cannot_run(toy_problem):
    _, problem = toy_problem
    with pytest.raises(UsageError, match="MAPSettings or VISettings"):
        invgen.solve(problem, {"steps": 3})
    with pytest.raises(UsageError, match="init is for MAP"):
        invgen.solve(problem, invgen.VISettings(), init=torch.zeros(2, 2, 8))
    with pytest.raises(SpecError, match="samples must be a whole number from 1 to 1024, not 0"):
        replace(invgen.VISettings(), samples=0)
