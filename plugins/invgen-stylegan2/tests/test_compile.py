"""torch.compile of a MAP objective step on the CPU (inductor), so that compile breakage shows without a GPU."""

import pytest
import torch

import invgen
from torch._dynamo.utils import counters


def test_a_compiled_objective_step_has_the_eager_gradient_and_compiles_once():
    generator = invgen.generator("stylegan2-mnist32")
    clean = torch.zeros(2, *generator.image_shape)
    objective = invgen.build_problem(clean, generator, "downsample:factor=4", preset="pixel", simulate=True).objective()

    def loss(w: torch.Tensor) -> torch.Tensor:
        return objective.evaluate(w, "fp32").total.sum()

    start = generator.initial_latent(2) + 0.1 * torch.randn(2, *generator.initial_latent(1).shape[1:],
                                                            generator=torch.Generator().manual_seed(0))
    eager = start.clone().requires_grad_(True)
    loss(eager).backward()
    torch._dynamo.reset()
    compiled_loss = torch.compile(loss)
    graphs = []
    for _ in range(2):  # the second step reuses the first's graphs
        compiled = start.clone().requires_grad_(True)
        value = compiled_loss(compiled)
        value.backward()
        graphs.append(counters["stats"]["unique_graphs"])
    assert graphs[0] > 0 and graphs[1] == graphs[0]
    assert value.item() == pytest.approx(loss(start).item(), rel=1e-4)
    torch.testing.assert_close(compiled.grad, eager.grad, rtol=1e-3, atol=1e-5)
