"""Arguments of the public Python entry points checked before any work: a value of the wrong type or out of
range is a one-line :class:`~invgen.errors.UsageError` (or :class:`~invgen.errors.SpecError` for solver
settings) that names the argument, what it got and what it takes, instead of a raw error deep inside."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import torch

from invgen.errors import SpecError, UsageError
from invgen.problem.interfaces import ForwardModel, Generator, Loss, Prior


def _got(value: Any) -> str:
    """``value`` as the message shows it: its repr (cut short), with its type unless it is a plain number."""
    text = repr(value)
    text = text[:40] + "..." if len(text) > 40 else text
    plain = isinstance(value, (int, float)) and not isinstance(value, bool)
    return text if plain else f"{text} ({type(value).__name__})"


def whole_number(name: str, value: Any, minimum: int, maximum: int | None = None,
                 error: type[UsageError] | type[SpecError] = SpecError) -> int:
    """``value`` as an int in [minimum, maximum]; bools, strings and non-whole floats are refused."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if not whole or value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise error(f"{name} must be a whole number {bound}, not {_got(value)}")
    return value


def real_number(name: str, value: Any, positive: bool = False, minimum: float | None = None,
                error: type[UsageError] | type[SpecError] = SpecError) -> float:
    """``value`` as a finite float (> 0 with ``positive``, >= ``minimum`` when given); strings are refused."""
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not numeric or not math.isfinite(value) or (positive and value <= 0) or (minimum is not None and value < minimum):
        rule = "> 0" if positive else f">= {minimum:g}" if minimum is not None else "finite"
        raise error(f"{name} must be a number {rule}, not {_got(value)}")
    return float(value)


def choice(name: str, value: Any, allowed: Sequence[str], error: type[UsageError] | type[SpecError] = SpecError) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise error(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def flag(name: str, value: Any, error: type[UsageError] | type[SpecError] = SpecError) -> bool:
    if not isinstance(value, bool):
        raise error(f"{name} must be True or False, not {_got(value)}")
    return value


def component(name: str, value: Any, interface: type) -> None:
    """A spec string or a built component of ``interface`` (a generator, loss, prior)."""
    if not (isinstance(value, str) or isinstance(value, interface)):
        raise UsageError(f"{name} must be a spec string (e.g. 'toy:size=32') or a {interface.__name__}, "
                         f"not {_got(value)}")


def forward_specs(value: Any) -> None:
    """A forward spec, a forward model, or a non-empty list or tuple of them."""
    parts = list(value) if isinstance(value, (list, tuple)) else [value]
    if not parts or not all(isinstance(part, (str, ForwardModel)) for part in parts):
        raise UsageError(f"forward must be a spec string, a ForwardModel or a non-empty list of them, "
                         f"not {_got(value)}; e.g. forward='blur:sigma=2' or forward=['blur:sigma=2', 'noise:std=0.05']")


def terms(name: str, value: Any, interface: type) -> None:
    """``losses``/``priors``: None or a list or tuple of specs or components (a bare string is refused, since
    it would be read letter by letter)."""
    if value is None:
        return
    wanted = f"{name} must be a list of specs or {interface.__name__} objects"
    if isinstance(value, str):
        raise UsageError(f"{wanted}, not the string {value!r}: write {name}=[{value!r}]")
    if not isinstance(value, (list, tuple)):
        raise UsageError(f"{wanted}, not {_got(value)}")
    for term in value:
        component(f"each of {name}", term, interface)


def preset(value: Any) -> None:
    if value is not None and not isinstance(value, (str, Path)):
        raise UsageError(f"preset must be a preset name or a preset file's path, not {_got(value)}")


def device(value: Any) -> None:
    if not isinstance(value, (str, torch.device)):
        raise UsageError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N' (or a torch.device), not {_got(value)}")


def problem_arguments(generator: Any, forward: Any, losses: Any, priors: Any, preset_name: Any, where: Any) -> None:
    """The arguments :func:`~invgen.problem.build.build_problem` and the API functions share."""
    component("generator", generator, Generator)
    forward_specs(forward)
    terms("losses", losses, Loss)
    terms("priors", priors, Prior)
    preset(preset_name)
    device(where)
