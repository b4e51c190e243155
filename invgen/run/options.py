"""How the inputs of one ``invgen run`` become problems (:class:`RunOptions`), and the batch size when none
is given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from invgen.run.geometry import Geometry

CPU_PIXELS, CUDA_PIXELS = 1 << 16, 1 << 22  # pixels per batch that keep a step's memory modest
CPU_CAP, CUDA_CAP = 32, 64


def auto_batch(device: torch.device, resolution: int) -> int:
    """How many images to optimise together when ``--batch`` is not given: by device and image size."""
    pixels, cap = (CUDA_PIXELS, CUDA_CAP) if device.type == "cuda" else (CPU_PIXELS, CPU_CAP)
    return max(1, min(cap, pixels // (resolution * resolution)))


@dataclass(frozen=True)
class RunOptions:
    """How inputs become problems: the forward chain, whether inputs are clean images to corrupt
    (``simulate``, noise seeded by ``seed``), how many share a solve, their geometry, and the intensity
    window of DICOM and NIfTI inputs (a :class:`~invgen.io.medical.Window`; None: the file's own)."""

    forward: tuple[str, ...] = ("identity",)
    simulate: bool = False
    seed: int = 0
    batch: int | None = None
    geometry: Geometry = Geometry()
    restore_size: bool = False
    window: Any = None
    gif: bool = False
    consistency: str = "none"
    calibrate: str | Path | None = None  # VI: "auto" (the stored calibration) or a calibration file (a Path)
    calibration: Any = None  # what ``calibrate`` resolved to (:class:`~invgen.evaluation.calibration.Calibration`)
    domain_check: bool = True  # compare each fit with the generator's on its own images (:mod:`invgen.run.domain`)
    init: str | Path | None = None  # a latent file or result folder(s) to start from (:mod:`invgen.run.init_latents`)
    init_latents: Any = None  # what ``init`` resolved to (:class:`~invgen.run.init_latents.InitLatents`)
    align: str = "none"  # photos aligned as the generator's training faces: none, ffhq or auto (:mod:`invgen.align`)
    face: int | None = None  # which face to align when a photo has several (0: the leftmost)

    def __post_init__(self) -> None:
        from invgen.align.photos import check_alignment
        from invgen.errors import UsageError

        check_alignment(self.align)
        if self.align != "none" and (self.geometry.crop or self.geometry.resize or self.geometry.fit):
            raise UsageError("--align crops and scales each photo itself: leave out --crop, --resize and --fit")
        if self.face is not None and (self.align == "none" or self.face < 0):
            raise UsageError("--face N picks the face to align (0 is the leftmost): give it with --align ffhq"
                             if self.align == "none" else f"--face {self.face}: give 0 or more")
