"""The optimisation as an animation (``invgen run --gif``): G(w) every few steps, then the result held.

Like the videos of the BRGM paper, it shows how the reconstruction forms; ``invgen serve`` also uses the
frames as its live preview.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Callable, Sequence

import torch
from torch import Tensor

if TYPE_CHECKING:
    from invgen.problem.interfaces import Generator
    from invgen.solvers.map import Progress

FRAMES = 50  # about this many frames whatever the number of steps
TILE = 128  # pixels: smaller images are enlarged (nearest neighbour) so the animation can be watched
FRAME_MS, HOLD_MS = 80, 1500  # a frame, and the final result at the end


def frame_interval(steps: int, frames: int = FRAMES) -> int:
    """Steps between frames so that a run of ``steps`` steps gives about ``frames`` frames."""
    return max(1, math.ceil(steps / frames))


class FrameRecorder:
    """A solver callback that keeps G(w) (on the CPU) after every ``every``-th step and after the last one;
    ``on_frame(step, images)`` is told of each frame as it is taken."""

    def __init__(self, generator: "Generator", every: int,
                 on_frame: Callable[[int, Tensor], None] | None = None) -> None:
        self.generator = generator
        self.every = every
        self.on_frame = on_frame
        self.frames: list[Tensor] = []
        self.steps: list[int] = []

    def see(self, progress: "Progress") -> None:
        if progress.latent is None or (progress.step % self.every and progress.step != progress.steps):
            return
        with torch.no_grad():
            images = self.generator.synthesize(progress.latent).float().cpu()
        self.frames.append(images)
        self.steps.append(progress.step)
        if self.on_frame is not None:
            self.on_frame(progress.step, images)

    def frames_of(self, index: int) -> list[Tensor]:
        """Input ``index``'s frames, each ``[C, H, W]`` in about [-1, 1]."""
        return [frame[index] for frame in self.frames]


def gif_bytes(frames: Sequence[Tensor], final: Tensor) -> bytes:
    """An endlessly looping GIF of ``frames`` (each ``[C, H, W]`` in [-1, 1]) ending on ``final``, held."""
    from PIL import Image

    from invgen.io.images import to_uint8

    shown = [*frames, final]
    factor = max(1, TILE // final.shape[-1])
    pictures = [Image.fromarray(to_uint8(_enlarged(frame, factor))) for frame in shown]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], loop=0,
                     duration=[FRAME_MS] * (len(pictures) - 1) + [HOLD_MS])
    return buffer.getvalue()


def _enlarged(image: Tensor, factor: int) -> Tensor:
    return image.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1) if factor > 1 else image
