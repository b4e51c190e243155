"""What a run reports while it works: the CLI's progress bars and ``invgen serve``'s page listen to it.

Torch-free, so that the CLI can define its listeners without importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import Tensor

    from invgen.solvers.map import Progress


class Events:
    """What a run reports while it works (the CLI draws progress from it; the default does nothing)."""

    def start(self, total: int, skipped: int) -> None:
        """``total`` inputs are to be reconstructed; ``skipped`` were complete already (``--resume``)."""

    def batch(self, count: int, steps: int) -> None:
        """A solve of ``count`` inputs and ``steps`` steps begins."""

    def step(self, progress: Progress) -> None:
        """One optimisation step of the current batch."""

    def frame(self, step: int, images: Tensor) -> None:
        """With ``gif``: G(w) ``[B, C, H, W]`` of the current batch after ``step`` steps (on the CPU)."""

    def done(self, row: dict[str, Any]) -> None:
        """One input finished (``row["status"]``: ok, error or interrupted)."""
