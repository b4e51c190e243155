"""Checks of option values that typer's ranges miss (a NaN passes no range and would get wrong advice)."""

from __future__ import annotations

import math

import typer


def learning_rate(value: float) -> float:
    """A finite, positive learning rate."""
    if not math.isfinite(value) or value <= 0:
        raise typer.BadParameter(f"must be a finite number > 0, not {value}")
    return value
