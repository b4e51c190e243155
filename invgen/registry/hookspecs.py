"""The hooks a plugin may implement (pluggy project name ``invgen``).

Each ``register_*`` hook receives a ``register`` callable bound to the calling plugin; see
``docs/hooks.md`` for its arguments and an example. Hook modules must not import torch at
import time, so that listing components stays fast.
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("invgen")
hookimpl = pluggy.HookimplMarker("invgen")


@hookspec
def register_generators(register: Callable[..., None]) -> None:
    """Register generators: ``register(name, factory, params=(), summary="")``."""


@hookspec
def register_forward_models(register: Callable[..., None]) -> None:
    """Register forward (corruption) models: ``register(name, factory, params=(), summary="")``."""


@hookspec
def register_losses(register: Callable[..., None]) -> None:
    """Register data terms comparing f(G(w)) with the observation: ``register(name, factory, ...)``."""


@hookspec
def register_priors(register: Callable[..., None]) -> None:
    """Register prior terms on the latent w: ``register(name, factory, params=(), summary="")``."""


@hookspec
def register_presets(register: Callable[..., None]) -> None:
    """Register objective presets: ``register(name, losses=[...], priors=[...], summary="", tie_layers=False,
    default_for=())`` (``default_for=("map",)`` makes it the objective when a run names no terms)."""


@hookspec
def register_weights(register: Callable[..., None]) -> None:
    """Register named weight files: ``register(name, url=None, sha256=None, filename=..., licence="", summary="")``."""


@hookspec
def register_datasets(register: Callable[..., None]) -> None:
    """Register named image sets for ``invgen eval --data``: ``register(name, factory, summary="")``."""


@hookspec
def register_examples(register: Callable[..., None]) -> None:
    """Register example images for a generator (offered by ``invgen serve``): ``register(name, path, generator,
    summary="")``."""


@hookspec
def register_benchmarks(register: Callable[..., None]) -> None:
    """Register generators that ``invgen bench`` measures when none is named: ``register(spec, summary="")``."""


@hookspec
def register_tasks(register: Callable[..., None]) -> None:
    """Register evaluation tasks for ``invgen eval -t``: ``register(name, specs=[...], summary="", variants=0)``."""


@hookspec
def register_methods(register: Callable[..., None]) -> None:
    """Register generator methods for ``invgen eval -m``: ``register(name, summary="", preset=None, losses=(),
    priors=(), tie_layers=False, generator_params=None, vi=False)``."""


@hookspec
def register_ablations(register: Callable[..., None]) -> None:
    """Register ablation ladders for ``invgen eval --ablation``:
    ``register(name, steps=[{name, ...method fields}], summary="")``."""


@hookspec
def register_baselines(register: Callable[..., None]) -> None:
    """Register classical baselines: ``register(name, restore, applies, summary="")`` (callables or "module:attr")."""


@hookspec
def register_metrics(register: Callable[..., None]) -> None:
    """Register image metrics: ``register(name, factory, title, digits=3, higher_is_better=False, summary="")``."""


@hookspec
def register_commands(app: Any) -> None:
    """Add sub-commands to the ``invgen`` typer application ``app``."""
