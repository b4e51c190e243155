"""Priors: hand-computed small cases, per-batch-element values, the contract kit."""

import math

import pytest
import torch

import invgen
from invgen.problem.interfaces import LatentStats
from invgen.testing.contracts import PriorContract


class TestWGaussianContract(PriorContract):
    spec = "w-gaussian"
    bad_specs = ("w-gaussian:scale=bogus", "w-gaussian:reduce=max")


class TestWGaussianPerDim(PriorContract):
    spec = "w-gaussian:scale=per-dim,reduce=mean"


class TestColinearContract(PriorContract):
    spec = "colinear"


class TestZGaussianContract(PriorContract):
    spec = "z-gaussian"


class TestSphereContract(PriorContract):
    spec = "sphere"


class _Stats:
    """A stand-in generator with known latent statistics."""

    def __init__(self, mean, std_per_dim):
        self.stats = LatentStats(torch.tensor(mean), torch.tensor(std_per_dim).pow(2).mean().sqrt(),
                                 torch.tensor(std_per_dim))

    def latent_stats(self):
        return self.stats


def test_w_gaussian_by_hand():
    generator = _Stats([1.0, -1.0], [2.0, 2.0])
    w = torch.tensor([[[3.0, -1.0], [1.0, 1.0]]])
    prior = invgen.prior("w-gaussian")
    prior.bind(generator)
    assert prior(w).item() == pytest.approx(1.0 + 0.0 + 0.0 + 1.0)
    per_dim = invgen.prior("w-gaussian:scale=per-dim")
    per_dim.bind(_Stats([0.0, 0.0], [1.0, 2.0]))
    assert per_dim(w).item() == pytest.approx(9 + 0.25 + 1 + 0.25)
    norm = invgen.prior("w-gaussian:scale=norm,reduce=mean")
    norm.bind(generator)
    assert norm(w).item() == pytest.approx((4 + 0 + 0 + 4) / 8 / 4)


def test_colinear_by_hand_and_per_batch_element():
    same = torch.tensor([[[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]])
    orthogonal = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]])
    prior = invgen.prior("colinear")
    values = prior(torch.cat([same, orthogonal]))
    assert values[0].item() == pytest.approx(0.0, abs=1e-6)
    assert values[1].item() == pytest.approx((1 + 0 + 1) / 3)
    summed = invgen.prior("colinear:reduce=sum")(orthogonal)
    assert summed.item() == pytest.approx(2 * (1 + 0 + 1))


def test_z_gaussian_and_sphere_by_hand():
    w = torch.tensor([[[3.0, 4.0]]])
    assert invgen.prior("z-gaussian")(w).item() == pytest.approx(12.5)
    sphere = invgen.prior("sphere")
    sphere.bind(_Stats([0.0, 0.0], [1.0, 1.0]))
    assert sphere(w).item() == pytest.approx((5 - math.sqrt(2)) ** 2)


def test_presets_are_registered_with_their_terms():
    from invgen.registry.manager import registry

    brgm = registry().preset("brgm")
    assert [t.split(":")[0] for t in brgm.losses] == ["lpips", "pixel"]
    assert [t.split(":")[0] for t in brgm.priors] == ["w-gaussian", "colinear"]
    assert registry().preset("pulse").tie_layers
    for spec in brgm.losses:  # parsed fully (name, keys, values); building LPIPS needs its weights
        registry().parse("loss", spec)
    for spec in brgm.priors:
        invgen.prior(spec)
