"""The objective minimised over w: weighted data terms on f(G(w)) plus weighted priors on w."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from torch import Tensor, nn

from invgen.problem.interfaces import ForwardModel, Generator, Loss, Prior
from invgen.runtime.precision import autocast


@dataclass
class Evaluation:
    """One evaluation of the objective: per-term weighted values ``[B]``, their sum, and the images."""

    terms: dict[str, Tensor]
    total: Tensor
    image: Tensor
    prediction: Tensor


class Objective(nn.Module):
    """``sum_k weight_k * loss_k(f(G(w)), y, mask) + sum_j weight_j * prior_j(w)``, per observation.

    Holds the observation ``y [B, C', H', W']`` and the forward model's mask, times ``known [B, 1, H', W']``
    when some observations have pixels of their own that are unknown (``--fit pad``'s padding); terms are
    named after their component (``pixel``, ``colinear``, ...), numbered when a name repeats.
    """

    def __init__(
        self,
        generator: Generator,
        forward_model: ForwardModel,
        losses: Sequence[Loss],
        priors: Sequence[Prior],
        observation: Tensor,
        known: Tensor | None = None,
    ) -> None:
        super().__init__()
        if not losses and not priors:
            raise ValueError("the objective has no terms: give at least one loss or prior")
        self.generator = generator
        self.forward_model = forward_model
        self.losses = nn.ModuleList(losses)
        self.priors = nn.ModuleList(priors)
        self.register_buffer("observation", observation)
        mask = forward_model.mask(generator.image_shape)
        if known is not None:
            known = known.to(observation)
            mask = known if mask is None else mask.to(observation) * known
        self.known = known
        self.register_buffer("mask", None if mask is None else mask.to(observation))
        self.names = _unique_names([*losses, *priors])
        for loss in losses:
            loss.bind(forward_model)
        for prior in priors:
            prior.bind(generator)

    def repeated(self, k: int) -> "Objective":
        """The same terms with each observation repeated ``k`` times (for K samples per observation)."""
        return Objective(self.generator, self.forward_model, list(self.losses), list(self.priors),
                         self.observation.repeat_interleave(k, dim=0),
                         None if self.known is None else self.known.repeat_interleave(k, dim=0))

    def evaluate(self, w: Tensor, precision: str = "fp32") -> Evaluation:
        """All terms at latents ``w [B, L, D]`` (B must match the observation's batch).

        With ``precision="bf16"`` the generator, forward model and losses run under bfloat16
        autocast (see :mod:`invgen.runtime.precision`); terms, images and priors are returned in float32.
        """
        with autocast(precision, w.device):
            image = self.generator.synthesize(w)
            prediction = self.forward_model(image)
            data_terms = [loss(prediction, self.observation, self.mask) for loss in self.losses]
        image, prediction = image.float(), prediction.float()
        terms: dict[str, Tensor] = {}
        names = iter(self.names)
        for loss, value in zip(self.losses, data_terms):
            terms[next(names)] = loss.weight * value.float()
        for prior in self.priors:
            terms[next(names)] = prior.weight * prior(w)
        total = sum(terms.values())
        return Evaluation(terms, total, image, prediction)  # type: ignore[arg-type]


def _unique_names(components: Sequence[nn.Module]) -> list[str]:
    names: list[str] = []
    for component in components:
        base = getattr(component, "name", None) or type(component).__name__.lower()
        name, count = base, 1
        while name in names:
            count += 1
            name = f"{base}#{count}"
        names.append(name)
    return names
