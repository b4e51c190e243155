"""A latent basis aligned with what the data determine, for variational inference.

A diagonal Gaussian over w leaks each coordinate's variance into the few directions the
observation pins down (docs/method.md). Rotating first fixes that: at the warm start m we take
the Jacobian J of the observed values f(G(w)) with respect to w, whiten w by the latent std per
dimension (the prior's scale), and use the eigenvectors of the Gauss-Newton matrix (J T)^T (J T)
as axes. Along them the linearised posterior precision is diagonal when the prior is Gaussian
with that scale, so a diagonal q in this basis is the exact Laplace-style family there.
Cost: one batched backward pass per observed value (chunked).
"""

from __future__ import annotations

import torch
from torch import Tensor

from invgen.errors import UsageError
from invgen.problem.objective import Objective

MAX_VALUES = 16384


class BasisTooCostly(UsageError):
    """The observation has too many values for one backward pass each."""


def observed_values(objective: Objective, w: Tensor) -> Tensor:
    """f(G(w)) at the observed positions only: ``[B, n]``."""
    prediction = objective.forward_model(objective.generator.synthesize(w))
    if objective.mask is None:
        return prediction.flatten(1)
    known = objective.mask.expand(1, *prediction.shape[1:]).flatten() > 0.5
    return prediction.flatten(1)[:, known]


def observed_count(objective: Objective) -> int:
    """How many values one observation has at known positions (the backward passes ``basis=data`` needs)."""
    per_item = objective.observation[0]
    if objective.mask is None:
        return per_item.numel()
    return int((objective.mask.expand(1, *per_item.shape).flatten() > 0.5).sum())


def check_cost(objective: Objective) -> None:
    """Refuse ``basis=data`` before any compute when the observation has too many values for it."""
    count = observed_count(objective)
    if count > MAX_VALUES:
        raise BasisTooCostly(f"VI basis=data needs one backward pass per observed value and this observation has "
                             f"{count} (limit {MAX_VALUES}); use basis=latent")


def jacobian(objective: Objective, w: Tensor, chunk: int = 64) -> Tensor:
    """d f(G(w))_j / d w for every observed value j: ``[B, n, L*D]`` (observations are independent)."""
    w = w.detach().requires_grad_(True)
    values = observed_values(objective, w)
    count = values.shape[1]
    check_cost(objective)
    identity = torch.eye(count, dtype=values.dtype, device=values.device)
    rows = []
    for start in range(0, count, chunk):
        seeds = identity[start:start + chunk, None, :].expand(-1, values.shape[0], -1)
        (grads,) = torch.autograd.grad(values, w, grad_outputs=seeds, retain_graph=True, is_grads_batched=True)
        rows.append(grads.flatten(2).transpose(0, 1))
    return torch.cat(rows, dim=1)


def data_aligned_basis(objective: Objective, w: Tensor) -> tuple[Tensor, Tensor]:
    """Columns: latent directions ``[B, L*D, L*D]`` (the whitened Gauss-Newton eigenvectors, scaled back to w),
    and the log |determinant| of that matrix (the eigenvectors are orthonormal: the whitening's)."""
    generator = objective.generator
    scale = generator.latent_stats().std_per_dim.to(w).repeat(generator.num_layers)
    with torch.enable_grad():
        whitened = jacobian(objective, w) * scale
    _, vectors = torch.linalg.eigh(whitened.transpose(1, 2) @ whitened)
    return scale[None, :, None] * vectors, scale.log().sum()
