"""Contract tests every component should pass; subclass them in a plugin's own tests.

Example::

    from invgen.testing.contracts import ForwardModelContract

    class TestBlur(ForwardModelContract):
        spec = "blur:sigma=2"
        bad_specs = ("blur:sigma=-1", "blur:sigma=abc")

Each contract builds the component through the registry (so the plugin must be installed),
and checks shapes, value ranges, batching, gradients, dtypes, spec round trips and errors on
the CPU. Class attributes tune the checks; override a test to relax it, with a reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

from invgen.registry.manager import registry
from invgen.errors import SpecError, UserError


class ComponentContract:
    """Checks shared by every kind of component."""

    kind: ClassVar[str]
    spec: ClassVar[str]
    bad_specs: ClassVar[tuple[str, ...]] = ()

    def build(self, spec: str | None = None) -> Any:
        return registry().build(self.kind, spec or self.spec)

    def test_spec_round_trip(self) -> None:
        component = self.build()
        again = self.build(component.spec)
        assert again.spec == component.spec
        assert registry().parse(self.kind, component.spec)[1] == registry().parse(self.kind, self.spec)[1]

    def test_unknown_parameter_is_one_line_error(self) -> None:
        spec = self.spec + ("," if ":" in self.spec else ":") + "no_such_parameter=1"
        with pytest.raises(SpecError, match="no_such_parameter") as caught:
            self.build(spec)
        assert "\n" not in str(caught.value)

    def test_bad_specs_are_one_line_errors(self) -> None:
        for spec in self.bad_specs:  # a SpecError for bad values (exit 2), an InputError for a bad file (exit 1)
            with pytest.raises(UserError) as caught:
                self.build(spec)
            message = str(caught.value)
            assert "\n" not in message and len(message) < 300, message

    def test_listed_with_summary(self) -> None:
        info = registry().info(self.kind, self.build().spec_record.name)
        assert info.summary, "give the component a one-line summary for `invgen list`"


class GeneratorContract(ComponentContract):
    """A generator maps ``[B, L, D]`` latents to ``[B, C, H, W]`` images and has latent statistics."""

    kind = "generator"
    value_bound: ClassVar[float] = 1.5

    def test_synthesize_shape_and_range(self) -> None:
        generator = self.build()
        w = generator.initial_latent(2)
        assert tuple(w.shape) == (2, *generator.latent_shape)
        image = generator.synthesize(w)
        assert tuple(image.shape) == (2, *generator.image_shape)
        assert torch.isfinite(image).all()
        assert image.abs().max() <= self.value_bound

    def test_map_shape_and_truncation(self) -> None:
        generator = self.build()
        z = torch.randn(3, generator.z_dim, generator=torch.Generator().manual_seed(0))
        w = generator.map(z)
        assert tuple(w.shape) == (3, *generator.latent_shape)
        truncated = generator.map(z, truncation=0.0)
        assert torch.allclose(truncated[0], truncated[1], atol=1e-5)

    def test_gradients_flow_to_w(self) -> None:
        generator = self.build()
        w = generator.initial_latent(1).requires_grad_(True)
        generator.synthesize(w).square().mean().backward()
        assert w.grad is not None and torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0

    def test_latent_stats(self) -> None:
        generator = self.build()
        stats = generator.latent_stats()
        dim = generator.latent_dim
        assert stats.mean.shape == (dim,) and stats.std_per_dim.shape == (dim,) and stats.std.dim() == 0
        assert stats.std > 0 and (stats.std_per_dim > 0).all()


class ForwardModelContract(ComponentContract):
    """A forward model is differentiable, batched, dtype-agnostic and states its output shape."""

    kind = "forward"
    input_shape: ClassVar[tuple[int, int, int]] = (3, 32, 32)

    def images(self, batch: int = 2, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        rng = torch.Generator().manual_seed(1)
        return (torch.rand(batch, *self.input_shape, generator=rng, dtype=torch.float64) * 2 - 1).to(dtype)

    def test_output_shape(self) -> None:
        model = self.build()
        y = model(self.images())
        assert tuple(y.shape) == (2, *model.output_shape(self.input_shape))

    def test_batched_equals_one_by_one(self) -> None:
        model = self.build()
        x = self.images(3)
        together = model(x)
        alone = torch.cat([model(x[i:i + 1]) for i in range(3)])
        assert torch.allclose(together, alone, atol=1e-6)

    def test_gradients_flow(self) -> None:
        model = self.build()
        x = self.images().requires_grad_(True)
        model(x).square().sum().backward()
        assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0

    def test_float64(self) -> None:
        model = self.build().double()
        y = model(self.images(dtype=torch.float64))
        assert y.dtype == torch.float64

    def test_simulate_is_seeded(self) -> None:
        model = self.build()
        x = self.images()
        first, again, other = model.simulate(x, seed=3), model.simulate(x, seed=3), model.simulate(x, seed=4)
        assert torch.equal(first, again)
        assert tuple(first.shape) == (2, *model.output_shape(self.input_shape))
        if model.noise_std is not None:
            assert not torch.equal(first, other)

    def test_mask_is_binary_and_applied(self) -> None:
        model = self.build()
        mask = model.mask(self.input_shape)
        if mask is None:
            return
        _, height, width = model.output_shape(self.input_shape)
        assert tuple(mask.shape) == (1, 1, height, width)
        assert set(mask.unique().tolist()) <= {0.0, 1.0}
        observed = model.simulate(self.images(), seed=0)
        assert (observed * (1 - mask)).abs().max() == 0


class LossContract(ComponentContract):
    """A data term gives one value per observation, is smallest at a perfect fit and ignores masked pixels."""

    kind = "loss"
    observation_shape: ClassVar[tuple[int, int, int]] = (3, 32, 32)

    def pair(self) -> tuple[torch.Tensor, torch.Tensor]:
        rng = torch.Generator().manual_seed(2)
        a = torch.rand(2, *self.observation_shape, generator=rng) * 2 - 1
        b = torch.rand(2, *self.observation_shape, generator=rng) * 2 - 1
        return a, b

    def bound(self) -> Any:
        loss = self.build()
        loss.bind(registry().build("forward", "identity"))
        return loss

    def test_per_observation_values(self) -> None:
        a, b = self.pair()
        value = self.bound()(a, b, None)
        assert value.shape == (2,) and torch.isfinite(value).all()

    def test_perfect_fit_is_smallest(self) -> None:
        a, b = self.pair()
        loss = self.bound()
        assert (loss(b, b, None) < loss(a, b, None)).all()

    def test_gradients_flow(self) -> None:
        a, b = self.pair()
        a.requires_grad_(True)
        self.bound()(a, b, None).sum().backward()
        assert a.grad is not None and torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0

    def test_masked_pixels_do_not_count(self) -> None:
        a, b = self.pair()
        _, height, width = self.observation_shape
        mask = torch.ones(1, 1, height, width)
        mask[..., : height // 2, :] = 0
        changed = a.clone()
        changed[..., : height // 2, :] = torch.rand_like(changed[..., : height // 2, :])
        loss = self.bound()
        assert torch.allclose(loss(a, b, mask), loss(changed, b, mask), atol=1e-6)


class PriorContract(ComponentContract):
    """A prior gives one finite value per latent and a gradient, after binding to a generator."""

    kind = "prior"
    generator_spec: ClassVar[str] = "toy:layers=4,dim=8"

    def bound(self) -> tuple[Any, Any]:
        generator = registry().build("generator", self.generator_spec)
        prior = self.build()
        prior.bind(generator)
        return prior, generator

    def test_per_latent_values_and_gradients(self) -> None:
        prior, generator = self.bound()
        z = torch.randn(3, generator.z_dim, generator=torch.Generator().manual_seed(0))
        w = (generator.map(z) + 0.1 * torch.randn(3, *generator.latent_shape)).requires_grad_(True)
        value = prior(w)
        assert value.shape == (3,) and torch.isfinite(value).all()
        value.sum().backward()
        assert w.grad is not None and torch.isfinite(w.grad).all()
