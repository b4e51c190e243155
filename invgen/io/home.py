"""``$INVGEN_HOME``: the one place invgen's data folders are named (weights, calibrations, the domain
check's reference fits; plugins get :func:`home` as ``invgen.plugin.data_home`` for their own)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The invgen data folder: ``$INVGEN_HOME`` or ``~/.cache/invgen``."""
    return Path(os.environ.get("INVGEN_HOME") or Path.home() / ".cache" / "invgen")


def weights_dir() -> Path:
    """Downloaded and registered weight files (``invgen weights``)."""
    return home() / "weights"


def calibration_dir() -> Path:
    """Stored std-map calibrations (``invgen calibrate``)."""
    return home() / "calibration"


def domain_dir() -> Path:
    """The domain check's reference fits, one file per generator, chain, objective and settings."""
    return home() / "domain"
