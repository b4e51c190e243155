"""Composition of forward models: :class:`Chain` applies its parts in order.

A chain keeps every part (``chain.parts``, each with its own spec and parameters) and derives
its output shape, mask and noise model from them, so nothing a part knows is dropped.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor, nn

from invgen.problem.interfaces import ForwardModel, Shape


class Chain(ForwardModel):
    """``f = f_n o ... o f_1``: the parts applied left to right (``--forward a --forward b``)."""

    def __init__(self, parts: Sequence[ForwardModel]) -> None:
        super().__init__()
        if not parts:
            raise ValueError("a chain needs at least one forward model")
        self.parts = nn.ModuleList(parts)

    @property
    def spec(self) -> str:
        """The parts' specs joined by ``' | '`` (each can be given again as a ``--forward``)."""
        return " | ".join(part.spec for part in self.parts)

    def forward(self, x: Tensor) -> Tensor:
        for part in self.parts:
            x = part(x)
        return x

    def shapes(self, input_shape: Shape) -> list[Shape]:
        """The shape entering each part, then the final output shape."""
        shapes = [tuple(input_shape)]
        for part in self.parts:
            shapes.append(tuple(part.output_shape(shapes[-1])))
        return shapes  # type: ignore[return-value]

    def output_shape(self, input_shape: Shape) -> Shape:
        return self.shapes(input_shape)[-1]

    def mask(self, input_shape: Shape) -> Tensor | None:
        """The known pixels after the whole chain: each part's mask, carried through the later parts."""
        shapes = self.shapes(input_shape)
        combined: Tensor | None = None
        for part, shape in zip(self.parts, shapes):
            if combined is not None:
                combined = part.propagate_mask(combined, shape)
            own = part.mask(shape)
            if own is not None:
                combined = own if combined is None else combined * own.to(combined)
        return combined

    def pseudo_inverse(self, y: Tensor, input_shape: Shape) -> Tensor | None:
        """The parts' pseudo-inverses applied last to first (exact for a single operator among identities,
        such as a mask or area down-sampling followed by noise); None if any part has none."""
        shapes = self.shapes(input_shape)
        for part, shape in reversed(list(zip(self.parts, shapes[:-1]))):
            y = part.pseudo_inverse(y, shape)
            if y is None:
                return None
        return y

    @property
    def noise_std(self) -> float | None:
        """The parts' noise levels added in quadrature (exact for noise at the end of the chain)."""
        levels = [part.noise_std for part in self.parts if part.noise_std is not None]
        return math.sqrt(sum(level**2 for level in levels)) if levels else None

    def default_preset(self, method: str) -> str | None:
        """The last part's preference that is not None (the part that makes the observation decides)."""
        return next((choice for part in reversed(self.parts) if (choice := part.default_preset(method))), None)

    def simulate(self, x: Tensor, seed: int = 0) -> Tensor:
        """Each part's operator and then its noise, in order; unknown pixels set to 0 at the end."""
        rng = torch.Generator().manual_seed(seed)  # on the CPU: the same observation on every device
        with torch.no_grad():
            y = x
            for part in self.parts:
                y = part.add_noise(part(y), rng)
            mask = self.mask(tuple(x.shape[1:]))
            return y if mask is None else y * mask.to(y)


def chain(parts: Sequence[ForwardModel] | ForwardModel) -> Chain:
    """Wrap one forward model or a sequence of them in a :class:`Chain` (chains are flattened)."""
    if isinstance(parts, ForwardModel):
        parts = [parts]
    flat: list[ForwardModel] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, Chain) else [part])
    return Chain(flat)


class Identity(ForwardModel):
    """No corruption (denoising when followed by a noise model, or plain inversion of a clean image)."""

    def forward(self, x: Tensor) -> Tensor:
        return x

    def pseudo_inverse(self, y: Tensor, input_shape: Shape) -> Tensor:
        return y
