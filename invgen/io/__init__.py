"""Files in and out: pictures, DICOM and NIfTI (within the size limits of :mod:`invgen.io.limits`), atomic writes, tagged JSON files and the ``$INVGEN_HOME``
folders. It imports only :mod:`invgen.errors`; ``from invgen.io import load_image``
is the public way to read an image (re-exported lazily, so that importing this wing needs no torch)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["load_image", "save_image"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'invgen.io' has no attribute {name!r}")
    return getattr(import_module("invgen.io.images"), name)
