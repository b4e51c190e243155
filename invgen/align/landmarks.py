"""Face landmarks from an offline detector: dlib's HOG face detector and the 68-point shape predictor that the
``face-recognition-models`` package ships (nothing is downloaded). Any detector that gives 68 iBUG points per face
can stand in (:class:`LandmarkDetector`)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from invgen.errors import UserError

MIN_SCORE = 0.3  # HOG detections below this are mostly not faces (the astronaut's shoulder patch scores 0.12-0.15)
PREDICTOR = "shape_predictor_68_face_landmarks.dat"
INSTALL = "pip install 'invgen-core[align]' (dlib-bin and face-recognition-models)"


@dataclass(frozen=True)
class Face:
    """One detected face: its box ``(x0, y0, x1, y1)``, the detector's score and 68 landmarks ``[68, 2]``."""

    box: tuple[int, int, int, int]
    score: float
    landmarks: np.ndarray


class LandmarkDetector(Protocol):
    """What alignment needs of a detector: the faces of an 8-bit photo ``[H, W]`` or ``[H, W, 3]``."""

    def faces(self, photo: np.ndarray) -> list[Face]: ...


class DlibLandmarks:
    """dlib's detector and 68-point predictor, loaded once (0.9 s). Small photos are upsampled before detection
    (faces down to about 20 pixels across are found)."""

    def __init__(self) -> None:
        try:
            import dlib
        except ImportError:
            raise UserError(f"face alignment needs dlib, which is not installed: {INSTALL}") from None
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(str(predictor_path()))

    def faces(self, photo: np.ndarray) -> list[Face]:
        """Faces scoring at least :data:`MIN_SCORE`, from left to right."""
        image = np.ascontiguousarray(photo, dtype=np.uint8)
        upsample = 1 if min(image.shape[:2]) >= 256 else 2
        boxes, scores, _ = self._detector.run(image, upsample, 0.0)
        found = []
        for box, score in zip(boxes, scores):
            if score < MIN_SCORE:
                continue
            shape = self._predictor(image, box)
            points = np.array([[part.x, part.y] for part in shape.parts()], np.float64)
            found.append(Face((box.left(), box.top(), box.right(), box.bottom()), float(score), points))
        return sorted(found, key=lambda face: face.box[0] + face.box[2])


def predictor_path() -> Path:
    """The 68-point model inside the installed ``face_recognition_models`` package."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        raise UserError(f"face alignment needs the 68-point landmark model, which is not installed: {INSTALL}")
    path = Path(spec.origin).parent / "models" / PREDICTOR
    if not path.is_file():
        raise UserError(f"{path}: the landmark model is missing from face-recognition-models; reinstall it")
    return path
