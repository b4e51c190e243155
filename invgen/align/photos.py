"""A photo aligned as a generator's training images were: its face found, the FFHQ square computed, the crop
sampled at the size the problem takes; and a result pasted back into the photo (``--restore-size``)."""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from torch import Tensor

from invgen.align.geometry import FaceQuad, aligned_crop, eyes_and_mouth, ffhq_quad, pasted_back
from invgen.align.landmarks import MIN_SCORE, DlibLandmarks, LandmarkDetector
from invgen.errors import InputError, UsageError

ALIGNMENTS = ("none", "auto", "ffhq")
_DETECTOR: list[LandmarkDetector] = []


def check_alignment(name: str) -> None:
    if name not in ALIGNMENTS:
        raise UsageError(f"--align {name!r}: choose none, ffhq, or auto (the alignment the generator declares)")


def detector() -> LandmarkDetector:
    """The default landmark detector, loaded once per process."""
    if not _DETECTOR:
        _DETECTOR.append(DlibLandmarks())
    return _DETECTOR[0]


def align_photo(photo: Tensor, size: int, source: str, face: int | None = None,
                landmarks: LandmarkDetector | None = None) -> tuple[Tensor, dict[str, Any]]:
    """``photo [1, C, H, W]`` in [-1, 1] aligned to ``size`` x ``size`` by FFHQ's recipe; the record of how
    (the face chosen, its square, its eye and mouth points). One face is needed: none, or several without
    ``face`` (0 = the leftmost), is a one-line error."""
    grey = photo[0].float().mean(0) if photo.shape[1] != 3 else None
    picture = ((photo[0].permute(1, 2, 0) if grey is None else grey) + 1) * 127.5
    faces = (landmarks or detector()).faces(picture.clamp(0, 255).round().byte().cpu().numpy())
    if not faces:
        raise InputError(f"{source}: no face found (dlib's frontal face detector, score >= {MIN_SCORE}); "
                         "alignment needs one face seen from the front, or pass --align none")
    if face is None and len(faces) > 1:
        raise InputError(f"{source}: {len(faces)} faces found; choose one with --face N (0 is the leftmost)")
    chosen = 0 if face is None else face
    if not 0 <= chosen < len(faces):
        raise InputError(f"{source}: --face {chosen} but {len(faces)} face{'s' if len(faces) > 1 else ''} found "
                         f"(0 to {len(faces) - 1}, from the left)")
    found = faces[chosen]
    quad = ffhq_quad(found.landmarks)
    points = {name: point.round(2).tolist() for name, point in eyes_and_mouth(found.landmarks).items()}
    record = {"method": "ffhq", "face": chosen, "faces": len(faces), "score": round(found.score, 3),
              "box": list(found.box), "points": points, "quad": quad.record(),
              "photo_size": list(photo.shape[-2:]), "size": size}
    return aligned_crop(photo, quad, size), record


def restored_photo(photo: Tensor, reconstruction: Tensor, alignment: dict[str, Any]) -> Tensor:
    """The reconstruction pasted back into ``photo`` (feathered), at the reconstruction's pixel pitch: the photo
    resampled by the factor between the reconstruction and the aligned input (x4 for x4 super-resolution)."""
    factor = reconstruction.shape[-1] / alignment["size"]
    quad = FaceQuad.from_record(alignment["quad"])
    if factor != 1:
        height, width = photo.shape[-2:]
        photo = F.interpolate(photo, size=(round(height * factor), round(width * factor)), mode="bicubic",
                              align_corners=False, antialias=True)
        quad = quad.scaled(factor)
    return pasted_back(photo, reconstruction, quad).clamp(-1, 1)

