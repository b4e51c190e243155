"""FFHQ's alignment as geometry: the oriented square from the eye and mouth landmarks, the aligned crop
sampled from a photo, and a reconstruction pasted back through the inverse (feathered at its edge).

The recipe (Karras et al., the FFHQ data set's published alignment): with the eye centres (means of the 68-point
model's eye contours) and the mouth corners, ``x`` points along the eyes, corrected by the eye-to-mouth direction
turned by 90 degrees, and is scaled to max(2 x eye distance, 1.8 x eye-to-mouth distance); ``y`` is ``x`` turned
by 90 degrees, the centre lies a tenth of the way from the eyes to the mouth, and the crop is the square
``centre +- x +- y``. Points are in pixel coordinates with pixel centres at whole numbers (x right, y down).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

FEATHER = 0.1  # the pasted square fades out over this fraction of its half-width


@dataclass(frozen=True)
class FaceQuad:
    """The oriented square of an aligned crop: its ``center`` and half-side vectors ``x`` (towards the image's
    right) and ``y`` (down), in photo pixels."""

    center: tuple[float, float]
    x: tuple[float, float]
    y: tuple[float, float]

    @property
    def side(self) -> float:
        """The square's side in photo pixels."""
        return 2 * math.hypot(*self.x)

    def corners(self) -> np.ndarray:
        """``[4, 2]``: upper left, lower left, lower right, upper right."""
        c, x, y = (np.asarray(v, np.float64) for v in (self.center, self.x, self.y))
        return np.stack([c - x - y, c - x + y, c + x + y, c + x - y])

    def to_aligned(self, points: np.ndarray, size: int) -> np.ndarray:
        """Photo points ``[N, 2]`` in the pixels of the ``size``-pixel aligned crop."""
        a, b = self.square_coordinates(points)
        return np.stack([(a + 1) * size / 2 - 0.5, (b + 1) * size / 2 - 0.5], 1)

    def scaled(self, factor: float) -> "FaceQuad":
        """The same square in a photo resampled by ``factor`` (pixel centres kept at whole numbers)."""
        center = tuple((value + 0.5) * factor - 0.5 for value in self.center)
        return FaceQuad(center, tuple(v * factor for v in self.x), tuple(v * factor for v in self.y))  # type: ignore[arg-type]

    def record(self) -> dict[str, Any]:
        return {"center": list(self.center), "x": list(self.x), "y": list(self.y),
                "corners": self.corners().round(3).tolist()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "FaceQuad":
        return cls(tuple(record["center"]), tuple(record["x"]), tuple(record["y"]))  # type: ignore[arg-type]

    def square_coordinates(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Photo points ``[N, 2]`` in the square's own coordinates (along ``x``, along ``y``): -1 .. 1 across it."""
        offset = np.asarray(points, np.float64) - np.asarray(self.center)
        x, y = np.asarray(self.x), np.asarray(self.y)
        return offset @ x / (x @ x), offset @ y / (y @ y)


def eyes_and_mouth(landmarks: np.ndarray) -> dict[str, np.ndarray]:
    """The four points FFHQ aligns by, from the 68-point model (iBUG 300-W numbering)."""
    points = np.asarray(landmarks, np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"FFHQ alignment takes 68 landmarks [68, 2], not {list(points.shape)}")
    return {"eye_left": points[36:42].mean(0), "eye_right": points[42:48].mean(0),
            "mouth_left": points[48], "mouth_right": points[54]}


def ffhq_quad(landmarks: np.ndarray) -> FaceQuad:
    """The FFHQ crop square of a face from its 68 landmarks (see the module docstring)."""
    parts = eyes_and_mouth(landmarks)
    eye_centre = (parts["eye_left"] + parts["eye_right"]) / 2
    eye_to_eye = parts["eye_right"] - parts["eye_left"]
    eye_to_mouth = (parts["mouth_left"] + parts["mouth_right"]) / 2 - eye_centre
    x = eye_to_eye - np.array([-eye_to_mouth[1], eye_to_mouth[0]])  # eye_to_mouth turned by -90 degrees
    x = x / np.hypot(*x) * max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
    y = np.array([-x[1], x[0]])
    centre = eye_centre + eye_to_mouth * 0.1
    return FaceQuad(tuple(centre.tolist()), tuple(x.tolist()), tuple(y.tolist()))  # type: ignore[arg-type]


def aligned_crop(photo: Tensor, quad: FaceQuad, size: int) -> Tensor:
    """The ``size`` x ``size`` crop of ``photo [1, C, H, W]`` inside ``quad`` (bilinear; a photo first shrunk by a
    whole factor when the square spans more than twice ``size``, so the crop does not alias; parts of the square
    outside the photo reflect it)."""
    shrink = int(quad.side / size / 2)
    if shrink > 1:
        height, width = photo.shape[-2:]
        photo = F.interpolate(photo, size=(max(1, round(height / shrink)), max(1, round(width / shrink))),
                              mode="area")
        quad = quad.scaled(photo.shape[-1] / width)
    height, width = photo.shape[-2:]
    steps = (torch.arange(size, dtype=torch.float64) + 0.5) / size * 2 - 1  # -1 .. 1 across the square
    b, a = torch.meshgrid(steps, steps, indexing="ij")
    centre, x, y = (torch.tensor(v, dtype=torch.float64) for v in (quad.center, quad.x, quad.y))
    points = centre + a[..., None] * x + b[..., None] * y  # photo pixels [size, size, 2]
    grid = torch.stack([(2 * points[..., 0] + 1) / width - 1, (2 * points[..., 1] + 1) / height - 1], -1)
    return F.grid_sample(photo.float(), grid[None].to(photo.device, torch.float32), mode="bilinear",
                         padding_mode="reflection", align_corners=False)


def pasted_back(photo: Tensor, aligned: Tensor, quad: FaceQuad, feather: float = FEATHER) -> Tensor:
    """``photo [1, C, H, W]`` with ``aligned [1, C, s, s]`` (any size: a reconstruction) put back where ``quad``
    took it from, blended over the outer ``feather`` of the square's half-width so no seam shows."""
    height, width = photo.shape[-2:]
    rows, columns = torch.meshgrid(torch.arange(height, dtype=torch.float64), torch.arange(width, dtype=torch.float64),
                                   indexing="ij")
    a, b = quad.square_coordinates(torch.stack([columns, rows], -1).view(-1, 2).numpy())
    grid = torch.from_numpy(np.stack([a, b], -1)).view(1, height, width, 2)
    sampled = F.grid_sample(aligned.float(), grid.to(aligned.device, torch.float32), mode="bilinear",
                            padding_mode="border", align_corners=False)
    edge = torch.from_numpy(1 - np.maximum(np.abs(a), np.abs(b))).view(1, 1, height, width)
    alpha = (edge / feather).clamp(0, 1).to(photo)
    return photo * (1 - alpha) + sampled.to(photo) * alpha
